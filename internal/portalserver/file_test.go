package portalserver_test

import (
	"os"
	"testing"
)

func readFile(t testing.TB, path string) string {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatalf("database %s is empty", path)
	}
	return string(all)
}
