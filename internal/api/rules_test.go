package api

import (
	"slices"
	"strings"
	"testing"
)

func TestBuiltinRoles(t *testing.T) {
	wantRank := map[string]int{RoleOwner: 100, RoleAdmin: 80, RoleManager: 60, RoleMember: 40, RoleReadOnly: 20}
	if len(BuiltinRoles) != len(wantRank) {
		t.Fatalf("%d built-in roles, want %d", len(BuiltinRoles), len(wantRank))
	}
	for i, r := range BuiltinRoles {
		if r.Rank != wantRank[r.Key] {
			t.Errorf("%s has rank %d, want %d", r.Key, r.Rank, wantRank[r.Key])
		}
		if i > 0 && BuiltinRoles[i-1].Rank <= r.Rank {
			t.Errorf("%s (rank %d) comes after %s (rank %d); want highest rank first", r.Key, r.Rank, BuiltinRoles[i-1].Key, BuiltinRoles[i-1].Rank)
		}
		if !slices.IsSorted(r.Permissions) {
			t.Errorf("%s permissions %v are not sorted", r.Key, r.Permissions)
		}
		if problems := CheckPermissions(r.Permissions); len(problems) != 0 {
			t.Errorf("%s breaks the permission rules: %v", r.Key, problems)
		}
		if got, ok := Builtin(r.Key); !ok || got.Key != r.Key || got.Rank != r.Rank {
			t.Errorf("Builtin(%q) = %+v, %v", r.Key, got, ok)
		}
	}
	if _, ok := Builtin("auditor"); ok {
		t.Errorf("Builtin(auditor) found a role; want none")
	}
	if !slices.IsSorted(AllPermissions) {
		t.Errorf("AllPermissions %v is not sorted", AllPermissions)
	}
}

// TestBuiltinPermissions checks the permission table of PRODUCT.md: each
// role has exactly the one below it plus its own additions.
func TestBuiltinPermissions(t *testing.T) {
	want := map[string][]string{
		RoleReadOnly: {PermPartnerRead, PermUsersRead, PermRolesRead, PermDataRead},
	}
	want[RoleMember] = append(slices.Clone(want[RoleReadOnly]), PermDataWrite)
	want[RoleManager] = append(slices.Clone(want[RoleMember]), PermUsersManage, PermInvitesManage, PermAuditRead)
	want[RoleAdmin] = append(slices.Clone(want[RoleManager]), PermRolesManage, PermPartnerManage)
	want[RoleOwner] = append(slices.Clone(want[RoleAdmin]), PermTokensManage)
	for key, perms := range want {
		slices.Sort(perms)
		r, _ := Builtin(key)
		if !slices.Equal(r.Permissions, perms) {
			t.Errorf("%s permissions = %v, want %v", key, r.Permissions, perms)
		}
	}
	owner, _ := Builtin(RoleOwner)
	if !slices.Equal(owner.Permissions, AllPermissions) {
		t.Errorf("owner permissions = %v, want every permission %v", owner.Permissions, AllPermissions)
	}
}

func TestCeilingRank(t *testing.T) {
	for _, tc := range []struct {
		actor, want int
		wantRole    string
	}{
		{RankOperator, RankOwner, RoleOwner},
		{RankOwner, RankOwner, RoleOwner},
		{99, RankManager, RoleManager}, // a custom role above admin is not an owner
		{RankAdmin, RankManager, RoleManager},
		{79, RankMember, RoleMember},
		{RankManager, RankMember, RoleMember},
		{59, 0, ""},
		{RankMember, 0, ""},
		{RankReadOnly, 0, ""},
		{0, 0, ""},
	} {
		got := CeilingRank(tc.actor)
		if got != tc.want {
			t.Errorf("CeilingRank(%d) = %d, want %d", tc.actor, got, tc.want)
		}
		if role := CeilingRole(got); role != tc.wantRole {
			t.Errorf("CeilingRole(%d) = %q, want %q", got, role, tc.wantRole)
		}
	}
	for _, tc := range []struct {
		ceiling int
		want    string
	}{{1000, RoleOwner}, {99, RoleAdmin}, {61, RoleManager}, {39, RoleReadOnly}, {20, RoleReadOnly}, {19, ""}} {
		if got := CeilingRole(tc.ceiling); got != tc.want {
			t.Errorf("CeilingRole(%d) = %q, want %q", tc.ceiling, got, tc.want)
		}
	}
}

func TestImpliedRead(t *testing.T) {
	for perm, want := range map[string]string{
		PermUsersManage:   PermUsersRead,
		PermRolesManage:   PermRolesRead,
		PermPartnerManage: PermPartnerRead,
		PermDataWrite:     PermDataRead,
		PermInvitesManage: "", // there is no invites.read
		PermTokensManage:  "", // nor tokens.read
		PermUsersRead:     "",
		PermAuditRead:     "",
		"users":           "",
		"billing.manage":  "",
		"":                "",
	} {
		if got := ImpliedRead(perm); got != want {
			t.Errorf("ImpliedRead(%q) = %q, want %q", perm, got, want)
		}
	}
}

func TestCheckPermissions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		perms []string
		want  []string // substrings, one per problem, in order
	}{
		{"empty", nil, nil},
		{"read only", []string{PermUsersRead}, nil},
		{"edit with its read", []string{PermUsersRead, PermUsersManage, PermDataWrite, PermDataRead}, nil},
		{"edit without a read of its own", []string{PermInvitesManage, PermTokensManage}, nil},
		{"edit without its read", []string{PermUsersManage}, []string{`permission "users.manage" requires "users.read"`}},
		{"unknown", []string{"users.delete"}, []string{`unknown permission "users.delete"`}},
		{"wrong case", []string{"Users.Read"}, []string{`unknown permission "Users.Read"`}},
		{"each problem", []string{"x", PermDataWrite, PermRolesManage, PermRolesRead}, []string{`unknown permission "x"`, `"data.write" requires "data.read"`}},
	} {
		got := CheckPermissions(tc.perms)
		if len(got) != len(tc.want) {
			t.Errorf("%s: CheckPermissions(%q) = %q, want %d problem(s) %q", tc.name, tc.perms, got, len(tc.want), tc.want)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], tc.want[i]) {
				t.Errorf("%s: problem %d = %q, want it to contain %q", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}

// checkEach checks what valid, named name in messages, answers for each string.
func checkEach(t *testing.T, name string, valid func(string) bool, want map[string]bool) {
	t.Helper()
	for s, want := range want {
		if got := valid(s); got != want {
			t.Errorf("%s(%q) = %v, want %v", name, s, got, want)
		}
	}
}

func TestValidPhone(t *testing.T) {
	checkEach(t, "ValidPhone", ValidPhone, map[string]bool{
		"+14155550123":      true,
		"+1234567":          true, // 7 digits
		"+123456789012345":  true, // 15 digits
		"+123456":           false,
		"+1234567890123456": false,
		"+0123456789":       false, // no country code starts with 0
		"14155550123":       false,
		"+1 415 555 0123":   false,
		"+1-415-555-0123":   false,
		"+14155550123\n":    false,
		"":                  false,
	})
}

func TestValidRoleKey(t *testing.T) {
	checkEach(t, "ValidRoleKey", ValidRoleKey, map[string]bool{
		"member":                      true,
		"read_only":                   true,
		"ab":                          true,
		"a2":                          true,
		"a" + strings.Repeat("b", 31): true,
		"a" + strings.Repeat("b", 32): false,
		"a":                           false,
		"2a":                          false,
		"_a":                          false,
		"Admin":                       false,
		"read-only":                   false,
		"read only":                   false,
		"":                            false,
	})
}

func TestValidEmail(t *testing.T) {
	checkEach(t, "ValidEmail", ValidEmail, map[string]bool{
		"ana@example.com":              true,
		"ana.b+ops@mail.example.co.uk": true,
		"w@bücher.example":             true,
		"w@xn--bcher-kva.example":      true,
		"Ana <ana@example.com>":        false, // a display name
		"<ana@example.com>":            false,
		"ana@localhost":                false, // the domain has no dot
		"ana@example.com.":             false,
		"ana.example.com":              false,
		"ana@@example.com":             false,
		" ana@example.com":             false,
		"ana@example.com ":             false,
		"ana@example.com\n":            false,
		"an\ta@example.com":            false,
		"ana\u202e@example.com":        false, // bidi override
		"ana\u2066@example.com":        false, // bidi isolate
		"":                             false,
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com": true,  // 254
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com": false, // 255
	})
}

func TestNormalizeEmail(t *testing.T) {
	const bucher = "w@xn--bcher-kva.example"
	for in, want := range map[string]string{
		"Ana@Example.COM":         "ana@example.com",
		"ana@example.com":         "ana@example.com",
		"W@Bücher.example":        bucher,
		"w@xn--bcher-kva.example": bucher,
		"W@XN--BCHER-KVA.EXAMPLE": bucher,
		"w@bu\u0308cher.example":  bucher, // decomposed ü
		"Zoë@example.com":         "zoë@example.com",
		"zoe\u0308@example.com":   "zoë@example.com", // the local part in NFC
		"no-at-sign":              "no-at-sign",
		"a@b@Example.com":         "a@b@example.com", // the last @ starts the domain
		"w@bad..domain.example":   "w@bad..domain.example",
		"W@Bad_Ünder.example":     "w@bad_ünder.example", // IDNA refuses it: NFC lower case kept
		"":                        "",
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
	// Normalising is idempotent: a stored form normalises to itself.
	for _, s := range []string{"Ana@Example.COM", "W@Bücher.example", "zoe\u0308@example.com"} {
		once := NormalizeEmail(s)
		if twice := NormalizeEmail(once); twice != once {
			t.Errorf("NormalizeEmail(NormalizeEmail(%q)) = %q, want %q", s, twice, once)
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" when the text is accepted
	}{
		{"Ana", ""},
		{"Zoë Ünal", ""},
		{"李小龍", ""},
		{"O'Brien-Smith (ops)", ""},
		{"", ""},
		{"right\u200fto-left mark", ""}, // a mark, not an embedding
		{"a\x00b", "control character U+0000 at byte 1"},
		{"line\nbreak", "control character U+000A at byte 4"},
		{"tab\there", "control character U+0009"},
		{"del\x7f", "control character U+007F"},
		{"c1\u0085", "control character U+0085"},
		{"evil\u202egnp.exe", "bidirectional formatting character U+202E at byte 4"},
		{"\u202aembed", "bidirectional formatting character U+202A at byte 0"},
		{"iso\u2069late", "bidirectional formatting character U+2069"},
		{"bad \xff utf8", "is not valid UTF-8"},
	} {
		err := CheckText(tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckText(%q) = %v, want it accepted", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckText(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}
