package platform

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// errOwnAddress refuses a connection to the server itself.
var errOwnAddress = errors.New("refused: the address is this server's own")

// ownAddressGuard keeps webhook requests away from the server's own API,
// so a webhook can never turn the server into a proxy into its own admin
// surface. It checks every connection at dial time, after DNS resolution,
// so names that resolve to the server (localhost, a DNS entry pointing at
// 127.0.0.1, 0.0.0.0) are caught as well as literal addresses. Other
// services on loopback stay reachable: only the server's own ports are
// refused.
type ownAddressGuard struct {
	endpoints []ownEndpoint
	resolver  *net.Resolver
}

// ownEndpoint is a host (IP literal or name) and port the server answers at.
type ownEndpoint struct{ host, port string }

func newOwnAddressGuard(urls []string) *ownAddressGuard {
	g := &ownAddressGuard{resolver: net.DefaultResolver}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Hostname() == "" {
			continue
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		g.endpoints = append(g.endpoints, ownEndpoint{host: u.Hostname(), port: port})
	}
	return g
}

// dialer returns a dialer whose connections the guard checks.
func (g *ownAddressGuard) dialer() *net.Dialer {
	return &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, ControlContext: g.control}
}

// control runs before each connection with the resolved address.
func (g *ownAddressGuard) control(ctx context.Context, _, address string, _ syscall.RawConn) error {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return err
	}
	ip = ip.Unmap()
	for _, e := range g.endpoints {
		if e.port == port && g.matches(ctx, e.host, ip) {
			return errOwnAddress
		}
	}
	return nil
}

// matches reports whether ip is (or may be) the server at host: one of
// host's addresses, or any address of this machine when the server
// listens on a local one (a wildcard listener answers on all of them).
func (g *ownAddressGuard) matches(ctx context.Context, host string, ip netip.Addr) bool {
	var own []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		own = []netip.Addr{a}
	} else if host == "localhost" {
		own = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	} else if addrs, err := g.resolver.LookupNetIP(ctx, "ip", host); err == nil {
		own = addrs
	}
	for _, a := range own {
		a = a.Unmap()
		if a == ip || (isLocalAddr(a) && isLocalAddr(ip)) {
			return true
		}
	}
	return false
}

// isLocalAddr reports whether ip reaches this machine: loopback, the
// unspecified address (which dials the local host) or an address of one
// of its interfaces.
func isLocalAddr(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if local, ok := netip.AddrFromSlice(n.IP); ok && local.Unmap() == ip {
				return true
			}
		}
	}
	return false
}
