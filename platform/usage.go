package platform

import (
	"github.com/actord/actord/events"
	"github.com/actord/actord/runner"
)

// usageOf turns a runner's usage sample into the events hub's.
func usageOf(p runner.Process) events.Usage {
	u := p.Usage()
	return events.Usage{MemCurrentBytes: u.MemBytes, CPUSeconds: u.CPUSeconds}
}
