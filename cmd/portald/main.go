// Command portald is the reference Portal API v1 server.
//
//	portald bootstrap --db FILE --partner NAME --owner-email EMAIL
//	portald bootstrap --db FILE --operator
//	portald serve --db FILE [--addr 127.0.0.1:8080] [--dev] [--rate-limit N]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/partnerportal/terraform-provider-portal/internal/portalserver"
)

const usage = `portald: the reference Portal API v1 server

Usage:
  portald bootstrap --db FILE --partner NAME --owner-email EMAIL   create a partner, its first owner and a token
  portald bootstrap --db FILE --operator                            create a portal operator token
  portald serve --db FILE [--addr 127.0.0.1:8080] [--dev] [--rate-limit RPS] [--rate-burst N] [--addr-file FILE]

Run "portald COMMAND -h" for a command's flags.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "portald:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a command is required")
	}
	switch args[0] {
	case "bootstrap":
		return bootstrap(args[1:], stdout)
	case "serve":
		return serve(args[1:], stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func bootstrap(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	db := fs.String("db", "portal.db", "SQLite database file")
	partner := fs.String("partner", "", "name of the partner to create")
	owner := fs.String("owner-email", "", "email of the partner's first owner")
	operator := fs.Bool("operator", false, "create a portal operator token instead, which may act for every partner")
	name := fs.String("token-name", "bootstrap", "name of the token")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*operator && (*partner == "" || *owner == "") {
		return errors.New("bootstrap needs --partner and --owner-email, or --operator")
	}
	ctx := context.Background()
	s, err := portalserver.Open(ctx, portalserver.Config{DBPath: *db})
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Bootstrap(ctx, portalserver.BootstrapOptions{PartnerName: *partner, OwnerEmail: *owner, Operator: *operator, TokenName: *name})
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(res)
}

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	db := fs.String("db", "portal.db", "SQLite database file (created and migrated at start)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on; loopback unless you mean otherwise")
	dev := fs.Bool("dev", false, "expose the mail outbox and the test clock under /v1/dev (never in production)")
	rate := fs.Float64("rate-limit", 0, "requests per second allowed per token; 0 turns limiting off")
	burst := fs.Int("rate-burst", 0, "requests a token may make at once; default twice the rate")
	publicURL := fs.String("public-url", "", "base URL of links in mails; default http://ADDR")
	addrFile := fs.String("addr-file", "", "write the address listened on to this file once serving (useful with --addr 127.0.0.1:0)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *publicURL == "" {
		*publicURL = "http://" + ln.Addr().String()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	s, err := portalserver.Open(ctx, portalserver.Config{DBPath: *db, Dev: *dev, RateLimit: *rate, RateBurst: *burst, PublicURL: *publicURL, Logger: logger})
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer s.Close()
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
			return err
		}
	}
	logger.Info("portald listening", "addr", ln.Addr().String(), "db", *db, "dev", *dev, "rate_limit", *rate)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("portald shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	logger.Info("portald stopped")
	return nil
}
