package provider

import (
	"strings"
	"testing"
)

// FuzzImportIDs feeds arbitrary import ids to the three parsers: none
// panics, a refused id gets an error that quotes it, and an accepted id's
// parts are non-empty and join back into the id.
func FuzzImportIDs(f *testing.F) {
	for _, s := range []string{"usr_1", "ana@acme.test", "prt_1/usr_1", "prt_1/usr_1/member", "usr_1/member", "/", "//", "a//b", " usr_1 ", "", "prt/usr/role/extra", "é/ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		check := func(name string, err error, parts ...string) {
			if err != nil {
				if !strings.Contains(err.Error(), "import id") {
					t.Fatalf("%s(%q): error %q does not say it is about the import id", name, id, err)
				}
				return
			}
			var kept []string
			for _, p := range parts {
				if p == "" {
					continue // an optional partner left out
				}
				if strings.Contains(p, "/") {
					t.Fatalf("%s(%q): part %q holds a slash", name, id, p)
				}
				kept = append(kept, p)
			}
			if len(kept) == 0 || strings.Join(kept, "/") != strings.TrimSpace(id) {
				t.Fatalf("%s(%q) = %q, which does not join back into the id", name, id, parts)
			}
		}
		pid, ref, err := parseUserImportID(id)
		check("parseUserImportID", err, pid, ref)
		pid, user, role, err := parseAssignmentImportID(id)
		check("parseAssignmentImportID", err, pid, user, role)
		pid, key, err := parseRoleImportID(id)
		check("parseRoleImportID", err, pid, key)
	})
}
