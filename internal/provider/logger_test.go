package provider

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"

	"github.com/partnerportal/terraform-provider-portal/internal/client"
)

// The client's "waiting for an answer" entries are INFO, so TF_LOG=INFO
// shows why a plan waits; the token never reaches the log.
func TestTFLogger_levelsAndMasking(t *testing.T) {
	var buf bytes.Buffer
	ctx := tflogtest.RootLogger(context.Background(), &buf)
	var l client.Logger = tfLogger{token: "pat_secret"}
	il, ok := l.(client.InfoLogger)
	if !ok {
		t.Fatal("tfLogger is not a client.InfoLogger: INFO entries would be logged as WARN")
	}
	il.Info(ctx, "waiting with pat_secret", map[string]any{"authorization": "Bearer pat_secret"})
	l.Warn(ctx, "retrying", nil)
	logged := buf.String()
	entries, err := tflogtest.MultilineJSONDecode(strings.NewReader(logged))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0]["@level"] != "info" || entries[1]["@level"] != "warn" {
		t.Fatalf("entries = %v, want one info and one warn", entries)
	}
	if !strings.Contains(logged, "waiting with") || strings.Contains(logged, "pat_secret") {
		t.Fatalf("want the message with the token masked, got: %s", logged)
	}
}
