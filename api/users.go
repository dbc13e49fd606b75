package api

import (
	"net/http"

	"github.com/actord/actord"
)

// selfHostedFeatures are the platform features an actord user has.
var selfHostedFeatures = []string{"ACTORS", "STORAGE", "SCHEDULER", "WEBHOOKS"}

// allFeatures are Apify's platform feature flags.
var allFeatures = []string{"ACTORS", "STORAGE", "SCHEDULER", "PROXY", "PROXY_EXTERNAL_ACCESS", "PROXY_RESIDENTIAL",
	"PROXY_SERPS", "WEBHOOKS", "ACTORS_PUBLIC_ALL", "ACTORS_PUBLIC_DEVELOPER"}

type feature struct {
	IsEnabled          bool    `json:"isEnabled"`
	DisabledReason     *string `json:"disabledReason"`
	DisabledReasonType *string `json:"disabledReasonType"`
	IsTrial            bool    `json:"isTrial"`
	TrialExpirationAt  *string `json:"trialExpirationAt"`
}

func effectiveFeatures() map[string]feature {
	reason := "This feature is not available on a self-hosted actord server."
	reasonType := "SELF_HOSTED"
	out := make(map[string]feature, len(allFeatures))
	for _, f := range allFeatures {
		out[f] = feature{DisabledReason: &reason, DisabledReasonType: &reasonType}
	}
	for _, f := range selfHostedFeatures {
		out[f] = feature{IsEnabled: true}
	}
	return out
}

type profile struct {
	Name string `json:"name"`
}

func (s *Server) handleUserMe() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		u, err := requireCaller(r)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, map[string]any{
			"id":       u.ID,
			"username": u.Username,
			"profile":  profile{Name: u.Username},
			// No Apify Proxy here: an empty password makes the SDK's proxy
			// configuration fail clearly instead of calling Apify's servers.
			"proxy": map[string]any{"password": "", "groups": []any{}},
			"plan": map[string]any{
				"id": "SELF_HOSTED", "description": "Self-hosted actord", "isEnabled": true,
				"monthlyBasePriceUsd": 0, "monthlyUsageCreditsUsd": 0, "usageDiscountPercent": 0,
				"enabledPlatformFeatures": selfHostedFeatures, "availableProxyGroups": map[string]int{},
				"availableAddOns": []string{},
			},
			"effectivePlatformFeatures": effectiveFeatures(),
			"createdAt":                 actord.Timestamp(u.CreatedAt),
			"isPaying":                  false,
		})
		return nil
	}
}

func (s *Server) handleUserGet() handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("userId")
		if id == "me" {
			return s.handleUserMe()(w, r)
		}
		u, err := s.users.Get(r.Context(), id)
		if err != nil {
			return err
		}
		writeData(w, http.StatusOK, map[string]any{"username": u.Username, "profile": profile{Name: u.Username}})
		return nil
	}
}
