package bench

import (
	"errors"
	"os"
	"time"

	"github.com/zdmctl/zdmctl/proxy/bench/internal/procstat"
)

// cpuMeter samples the CPU time of the proxy (if any) and of this process
// (client and in-memory servers) at the edges of the measured window.
type cpuMeter struct {
	proxyPID       int // 0: no proxy
	proxy0, proxy1 procstat.CPU
	self0, self1   procstat.CPU
	err            error
}

func (m *cpuMeter) read(pid int) procstat.CPU {
	c, err := procstat.Read(pid)
	if err != nil {
		m.err = errors.Join(m.err, err)
	}
	return c
}

func (m *cpuMeter) Begin() {
	if m.proxyPID != 0 {
		m.proxy0 = m.read(m.proxyPID)
	}
	m.self0 = m.read(os.Getpid())
}

func (m *cpuMeter) End() {
	if m.proxyPID != 0 {
		m.proxy1 = m.read(m.proxyPID)
	}
	m.self1 = m.read(os.Getpid())
}

func (m *cpuMeter) proxyCPU() time.Duration { return m.proxy1.Sub(m.proxy0).Total() }
func (m *cpuMeter) selfCPU() time.Duration  { return m.self1.Sub(m.self0).Total() }
