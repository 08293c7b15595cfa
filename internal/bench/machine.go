package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Machine describes where the figures were measured.
type Machine struct {
	CPUs      int    `json:"cpus"` // nproc
	CPUModel  string `json:"cpu_model,omitempty"`
	MemTotal  string `json:"mem_total"` // /proc/meminfo MemTotal
	Kernel    string `json:"kernel,omitempty"`
	Terraform string `json:"terraform"` // first line of terraform version
	Go        string `json:"go"`        // go version
}

// readMachine gathers the machine's description; a part that cannot be
// read is left as "unknown" rather than failing the run.
func readMachine(ctx context.Context, terraform string) Machine {
	m := Machine{
		CPUModel:  procField("/proc/cpuinfo", "model name"),
		MemTotal:  procField("/proc/meminfo", "MemTotal"),
		Kernel:    firstLine(os.ReadFile("/proc/sys/kernel/osrelease")),
		Terraform: firstLine(exec.CommandContext(ctx, terraform, "version").Output()),
		Go:        firstLine(exec.CommandContext(ctx, "go", "version").Output()),
	}
	m.CPUs, _ = strconv.Atoi(firstLine(exec.CommandContext(ctx, "nproc").Output()))
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(m.MemTotal, " kB"), 64); err == nil {
		m.MemTotal = strconv.FormatFloat(kb/1024/1024, 'f', 1, 64) + " GiB"
	}
	return m
}

// procField is the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func firstLine(b []byte, err error) string {
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(line)
}
