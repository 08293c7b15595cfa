package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// portald is a running portald with a bootstrapped partner and its owner's
// token, on loopback.
type portald struct {
	cmd       *exec.Cmd
	exited    chan struct{} // closed when the process has exited
	logPath   string
	endpoint  string
	token     string
	partnerID string
}

// startPortald bootstraps a partner in a fresh database under dir and
// serves it on 127.0.0.1 at a free port, limited to rps requests per second
// per token when rps > 0.
func startPortald(ctx context.Context, bin, dir string, rps float64) (*portald, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "portal.db")
	out, err := exec.CommandContext(ctx, bin, "bootstrap", "--db", db,
		"--partner", "Bench Partners", "--owner-email", "owner@bench.example").Output()
	if err != nil {
		return nil, fmt.Errorf("portald bootstrap: %w", err)
	}
	var boot struct {
		PartnerID string `json:"partner_id"`
		Token     string `json:"token"`
	}
	if err := json.Unmarshal(out, &boot); err != nil {
		return nil, fmt.Errorf("portald bootstrap printed %q: %w", out, err)
	}

	addrFile := filepath.Join(dir, "addr")
	args := []string{"serve", "--db", db, "--addr", "127.0.0.1:0", "--addr-file", addrFile}
	if rps > 0 {
		args = append(args, "--rate-limit", strconv.FormatFloat(rps, 'g', -1, 64))
	}
	p := &portald{cmd: exec.Command(bin, args...), exited: make(chan struct{}), logPath: filepath.Join(dir, "portald.log"),
		token: boot.Token, partnerID: boot.PartnerID}
	log, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	p.cmd.Stderr = log
	if err := p.cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	go func() {
		_ = p.cmd.Wait()
		log.Close()
		close(p.exited)
	}()
	addr, err := p.waitForAddr(ctx, addrFile)
	if err != nil {
		p.stop()
		return nil, err
	}
	p.endpoint = "http://" + addr
	return p, nil
}

// waitForAddr waits up to 15 seconds for portald to write the address it
// listens on.
func (p *portald) waitForAddr(ctx context.Context, addrFile string) (string, error) {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(addrFile); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-p.exited:
			return "", fmt.Errorf("portald exited at start:\n%s", tail(p.logPath, 20))
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("portald did not start within 15s:\n%s", tail(p.logPath, 20))
}

// stop sends SIGTERM and waits for portald to exit, killing it after 20
// seconds. It may be called more than once.
func (p *portald) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// requestCounts are sums over portald_http_requests_total.
type requestCounts struct {
	total   int64 // every series
	tooMany int64 // status 429
}

// requestCounts reads /metrics. The scrapes themselves (route
// "GET /metrics") are left out, so that measuring does not count.
func (p *portald) requestCounts(ctx context.Context) (requestCounts, error) {
	var c requestCounts
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.endpoint+"/metrics", nil)
	if err != nil {
		return c, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, fmt.Errorf("reading portald's metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("reading portald's metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		labels, value, ok := parseRequestsLine(sc.Text())
		if !ok || labels["route"] == "GET /metrics" {
			continue
		}
		c.total += value
		if labels["status"] == "429" {
			c.tooMany += value
		}
	}
	return c, sc.Err()
}

// parseRequestsLine parses `portald_http_requests_total{route="R",status="S"} N`.
func parseRequestsLine(line string) (labels map[string]string, value int64, ok bool) {
	rest, ok := strings.CutPrefix(line, "portald_http_requests_total{")
	if !ok {
		return nil, 0, false
	}
	i := strings.LastIndexByte(rest, '}')
	if i < 0 {
		return nil, 0, false
	}
	value, err := strconv.ParseInt(strings.TrimSpace(rest[i+1:]), 10, 64)
	if err != nil {
		return nil, 0, false
	}
	labels = map[string]string{}
	for _, kv := range strings.Split(rest[:i], `",`) {
		k, v, found := strings.Cut(kv, "=")
		if found {
			labels[k] = strings.Trim(v, `"`)
		}
	}
	return labels, value, true
}

// grantByHand grants role to the users with these emails through the API,
// as someone would by hand in the portal.
func (p *portald) grantByHand(ctx context.Context, emails []string, role string) error {
	c, err := client.New(client.Config{Endpoint: p.endpoint, Token: p.token, UserAgent: "portal-bench"})
	if err != nil {
		return err
	}
	users, err := c.Users.ListAll(ctx, p.partnerID, api.UserListOptions{})
	if err != nil {
		return err
	}
	ids := make(map[string]string, len(users))
	for _, u := range users {
		ids[strings.ToLower(u.Email)] = u.ID
	}
	for _, e := range emails {
		id, ok := ids[e]
		if !ok {
			return fmt.Errorf("user %s is not in the portal after the apply", e)
		}
		if _, err := c.Grants.Grant(ctx, p.partnerID, id, role); err != nil {
			return fmt.Errorf("granting %s to %s: %w", role, e, err)
		}
	}
	return nil
}
