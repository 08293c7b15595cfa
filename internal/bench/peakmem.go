package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	// pollInterval is how often /proc is read during a step. Memory a
	// provider process reaches in its last interval before exiting can be
	// missed.
	pollInterval = 50 * time.Millisecond
	// providerComm is the provider binary's name as /proc/PID/comm shows it:
	// the kernel truncates it to 15 characters.
	providerComm   = "terraform-provi"
	providerBinary = "terraform-provider-portal"
)

// memWatch polls /proc for provider processes started by one terraform
// process and keeps the highest VmHWM (the kernel's high-water mark of
// resident memory) seen.
type memWatch struct {
	stop chan struct{}
	done chan int64
}

// watchProviderMemory starts polling for provider processes descending from
// the process root; other terraform runs on the machine are not counted.
func watchProviderMemory(root int) *memWatch {
	m := &memWatch{stop: make(chan struct{}), done: make(chan int64, 1)}
	go func() {
		var peak int64
		t := time.NewTicker(pollInterval)
		defer t.Stop()
		for {
			peak = max(peak, providerHWM(root))
			select {
			case <-m.stop:
				m.done <- peak
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// finish stops polling and returns the peak in KiB (0 if none was seen).
func (m *memWatch) finish() int64 {
	close(m.stop)
	return <-m.done
}

// providerHWM is the highest VmHWM, in KiB, of the provider processes now
// running under root.
func providerHWM(root int) int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var peak int64
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || !bytes.HasPrefix(comm, []byte(providerComm)) || !descendsFrom(pid, root) {
			continue
		}
		peak = max(peak, statusKB(pid, "VmHWM:"))
	}
	return peak
}

// descendsFrom reports whether pid is root or below it, within a few
// generations (terraform starts providers as its direct children).
func descendsFrom(pid, root int) bool {
	for range 4 {
		if pid == root {
			return true
		}
		if pid <= 1 {
			return false
		}
		pid = parentPID(pid)
	}
	return pid == root
}

// parentPID reads the fourth field of /proc/PID/stat; the second, the
// command name in parentheses, may hold spaces, so fields are counted
// after its closing parenthesis.
func parentPID(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// statusKB reads a "Key: N kB" line of /proc/PID/status.
func statusKB(pid int, key string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb
			}
		}
	}
	return 0
}
