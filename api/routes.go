package api

import "net/http"

// routes lists every route, one line each, in Apify's documentation order.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})

	s.handle("GET /v2/users/me", s.handleUserMe())
	s.handle("GET /v2/users/{userId}", s.handleUserGet())

	s.handle("GET /v2/datasets", s.handleStorageList(datasets))
	s.handle("POST /v2/datasets", s.handleStorageGetOrCreate(datasets))
	s.handle("GET /v2/datasets/{storageId}", s.handleStorageGet(datasets))
	s.handle("PUT /v2/datasets/{storageId}", s.handleStorageUpdate(datasets))
	s.handle("DELETE /v2/datasets/{storageId}", s.handleStorageDelete(datasets))
	s.handle("GET /v2/datasets/{storageId}/items", s.handleDatasetItemsGet())
	s.handle("POST /v2/datasets/{storageId}/items", s.handleDatasetItemsPush())
	s.handle("GET /v2/datasets/{storageId}/statistics", s.handleDatasetStatistics())

	s.handle("GET /v2/key-value-stores", s.handleStorageList(keyValueStores))
	s.handle("POST /v2/key-value-stores", s.handleStorageGetOrCreate(keyValueStores))
	s.handle("GET /v2/key-value-stores/{storageId}", s.handleStorageGet(keyValueStores))
	s.handle("PUT /v2/key-value-stores/{storageId}", s.handleStorageUpdate(keyValueStores))
	s.handle("DELETE /v2/key-value-stores/{storageId}", s.handleStorageDelete(keyValueStores))
	s.handle("GET /v2/key-value-stores/{storageId}/keys", s.handleRecordKeys())
	s.handle("GET /v2/key-value-stores/{storageId}/records", s.handleRecordsZip())
	s.handle("GET /v2/key-value-stores/{storageId}/records/{recordKey}", s.handleRecordGet())
	s.handle("PUT /v2/key-value-stores/{storageId}/records/{recordKey}", s.handleRecordPut())
	s.handle("POST /v2/key-value-stores/{storageId}/records/{recordKey}", s.handleRecordPut())
	s.handle("DELETE /v2/key-value-stores/{storageId}/records/{recordKey}", s.handleRecordDelete())

	s.handle("GET /v2/request-queues", s.handleStorageList(requestQueues))
	s.handle("POST /v2/request-queues", s.handleStorageGetOrCreate(requestQueues))
	s.handle("GET /v2/request-queues/{storageId}", s.handleStorageGet(requestQueues))
	s.handle("PUT /v2/request-queues/{storageId}", s.handleStorageUpdate(requestQueues))
	s.handle("DELETE /v2/request-queues/{storageId}", s.handleStorageDelete(requestQueues))
	s.handle("GET /v2/request-queues/{storageId}/requests", s.handleRequestsList())
	s.handle("POST /v2/request-queues/{storageId}/requests", s.handleRequestAdd())
	s.handle("POST /v2/request-queues/{storageId}/requests/batch", s.handleRequestsBatchAdd())
	s.handle("DELETE /v2/request-queues/{storageId}/requests/batch", s.handleRequestsBatchDelete())
	s.handle("POST /v2/request-queues/{storageId}/requests/unlock", s.handleRequestsUnlock())
	s.handle("GET /v2/request-queues/{storageId}/requests/{requestId}", s.handleRequestGet())
	s.handle("PUT /v2/request-queues/{storageId}/requests/{requestId}", s.handleRequestUpdate())
	s.handle("DELETE /v2/request-queues/{storageId}/requests/{requestId}", s.handleRequestDelete())
	s.handle("PUT /v2/request-queues/{storageId}/requests/{requestId}/lock", s.handleRequestLockProlong())
	s.handle("DELETE /v2/request-queues/{storageId}/requests/{requestId}/lock", s.handleRequestLockDelete())
	s.handle("GET /v2/request-queues/{storageId}/head", s.handleQueueHead())
	s.handle("POST /v2/request-queues/{storageId}/head/lock", s.handleQueueHeadLock())

	for _, p := range []string{"/v2/acts", "/v2/actors"} { // clients use both
		s.handle("GET "+p, s.handleActorList())
		s.handle("POST "+p, s.handleActorCreate())
		s.handle("GET "+p+"/{actorId}", s.handleActorGet())
		s.handle("PUT "+p+"/{actorId}", s.handleActorUpdate())
		s.handle("DELETE "+p+"/{actorId}", s.handleActorDelete())
		s.handle("GET "+p+"/{actorId}/versions", s.handleVersionList())
		s.handle("POST "+p+"/{actorId}/versions", s.handleVersionPut(true))
		s.handle("GET "+p+"/{actorId}/versions/{versionNumber}", s.handleVersionGet())
		s.handle("PUT "+p+"/{actorId}/versions/{versionNumber}", s.handleVersionPut(false))
		s.handle("DELETE "+p+"/{actorId}/versions/{versionNumber}", s.handleVersionDelete())
		s.handle("GET "+p+"/{actorId}/versions/{versionNumber}/env-vars", s.handleEnvVarList())
		s.handle("POST "+p+"/{actorId}/versions/{versionNumber}/env-vars", s.handleEnvVarPut(true))
		s.handle("GET "+p+"/{actorId}/versions/{versionNumber}/env-vars/{envVarName}", s.handleEnvVarGet())
		s.handle("PUT "+p+"/{actorId}/versions/{versionNumber}/env-vars/{envVarName}", s.handleEnvVarPut(false))
		s.handle("DELETE "+p+"/{actorId}/versions/{versionNumber}/env-vars/{envVarName}", s.handleEnvVarDelete())
		s.handle("GET "+p+"/{actorId}/builds", s.handleBuildList(true))
		s.handle("POST "+p+"/{actorId}/builds", s.handleBuildStart())
		s.handle("GET "+p+"/{actorId}/builds/default", s.handleBuildDefault())
		s.handle("GET "+p+"/{actorId}/builds/{buildId}", s.handleBuildGet())
		s.handle("POST "+p+"/{actorId}/builds/{buildId}/abort", s.handleBuildAbort())
		s.handle("GET "+p+"/{actorId}/runs", s.handleRunList(true))
		s.handle("POST "+p+"/{actorId}/runs", s.handleRunStart())
		// …/runs/{runId}… and …/runs/last… are the /v2/actor-runs routes.
		s.handle(p+"/{actorId}/runs/{runId}", s.handleActorRunRoute())
		s.handle(p+"/{actorId}/runs/{runId}/{rest...}", s.handleActorRunRoute())
	}

	s.handle("GET /v2/actor-builds", s.handleBuildList(false))
	s.handle("GET /v2/actor-builds/{buildId}", s.handleBuildGet())
	s.handle("POST /v2/actor-builds/{buildId}/abort", s.handleBuildAbort())
	s.handle("GET /v2/actor-builds/{buildId}/log", s.handleLog("buildId"))

	s.handle("GET /v2/actor-runs", s.handleRunList(false))
	s.handle("GET /v2/actor-runs/{runId}", s.handleRunGet())
	s.handle("PUT /v2/actor-runs/{runId}", s.handleRunUpdate())
	s.handle("DELETE /v2/actor-runs/{runId}", s.handleRunDelete())
	s.handle("POST /v2/actor-runs/{runId}/abort", s.handleRunAbort())
	s.handle("POST /v2/actor-runs/{runId}/reboot", s.handleRunReboot())
	s.handle("POST /v2/actor-runs/{runId}/metamorph", s.handleRunMetamorph())
	s.handle("POST /v2/actor-runs/{runId}/resurrect", s.handleRunResurrect())
	s.handle("POST /v2/actor-runs/{runId}/charge", s.handleRunCharge())
	s.handle("GET /v2/actor-runs/{runId}/log", s.handleLog("runId"))
	s.handle("GET /v2/actor-runs/{runId}/events", s.handleRunEvents())
	for sub, k := range map[string]storageKind{"dataset": datasets, "key-value-store": keyValueStores, "request-queue": requestQueues} {
		s.handle("/v2/actor-runs/{runId}/"+sub, s.handleRunStorageRoute(sub, k))
		s.handle("/v2/actor-runs/{runId}/"+sub+"/{rest...}", s.handleRunStorageRoute(sub, k))
	}

	s.handle("GET /v2/webhooks", s.handleWebhookList())
	s.handle("POST /v2/webhooks", s.handleWebhookCreate())
	s.handle("GET /v2/webhooks/{webhookId}", s.handleWebhookGet())
	s.handle("PUT /v2/webhooks/{webhookId}", s.handleWebhookUpdate())
	s.handle("DELETE /v2/webhooks/{webhookId}", s.handleWebhookDelete())
	s.handle("POST /v2/webhooks/{webhookId}/test", s.handleWebhookTest())
	s.handle("GET /v2/webhooks/{webhookId}/dispatches", s.handleWebhookDispatchList(true))
	s.handle("GET /v2/webhook-dispatches", s.handleWebhookDispatchList(false))
	s.handle("GET /v2/webhook-dispatches/{dispatchId}", s.handleWebhookDispatchGet())
	for _, p := range []string{"/v2/acts", "/v2/actors"} {
		s.handle("GET "+p+"/{actorId}/webhooks", s.handleActorWebhookList())
	}

	s.handle("GET /v2/logs/{logId}", s.handleLog("logId"))

	s.handle("/", s.notFoundOrNotAllowed)
}
