package portalserver_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/partnerportal/terraform-provider-portal/internal/api"
)

// The vocabularies of Portal API v1 are closed: the document lists every
// problem code, field error code, audit action and audit target type as an
// enum, and portald sends those and nothing else. portaltest.Env.Do checks
// every answer of every test against the enums; these tests check that the
// lists in internal/api are the document's, that the server's source names no
// value outside them, and that a tour of the API records every action.

// specEnum is the enum of a property of a schema of the document.
func specEnum(t *testing.T, schema, property string) []string {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Components.Schemas[schema]
	if s == nil || s.Value.Properties[property] == nil {
		t.Fatalf("the document has no %s.%s", schema, property)
	}
	var out []string
	for _, v := range s.Value.Properties[property].Value.Enum {
		out = append(out, v.(string)) //nolint:forcetypeassert // a string enum; a panic names the culprit
	}
	if len(out) == 0 {
		t.Fatalf("%s.%s has no enum", schema, property)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

func TestVocabularyListsAreTheDocumentsEnums(t *testing.T) {
	for _, c := range []struct {
		schema, property string
		list             []string
	}{
		{"FieldError", "code", api.FieldCodes},
		{"AuditEvent", "action", api.AuditActions},
		{"AuditEvent", "target_type", api.AuditTargetTypes},
	} {
		if enum := specEnum(t, c.schema, c.property); !sameSet(enum, c.list) {
			t.Errorf("%s.%s enum %v, internal/api lists %v", c.schema, c.property, enum, c.list)
		}
	}
}

// TestServerSourceNamesOnlyDocumentedValues reads portald's source: every
// field error code, problem code, audit action and target type it writes,
// as a literal or an api constant, must be in the document's enum.
func TestServerSourceNamesOnlyDocumentedValues(t *testing.T) {
	consts := apiConstants(t)
	enums := map[string][]string{
		"field code":  specEnum(t, "FieldError", "code"),
		"problem":     specEnum(t, "Problem", "code"),
		"action":      specEnum(t, "AuditEvent", "action"),
		"target type": specEnum(t, "AuditEvent", "target_type"),
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, af)
	}
	// Parameters named code or action carry a value to where it is written:
	// check the arguments at every call instead.
	params := map[string]map[int]string{} // function name -> argument index -> vocabulary
	for _, af := range parsed {
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			i := 0
			for _, field := range fd.Type.Params.List {
				for _, name := range field.Names {
					vocab := ""
					switch {
					case name.Name == "code" && fd.Name.Name == "add":
						vocab = "field code"
					case name.Name == "code":
						vocab = "problem"
					case name.Name == "action":
						vocab = "action"
					}
					if vocab != "" {
						if params[fd.Name.Name] == nil {
							params[fd.Name.Name] = map[int]string{}
						}
						params[fd.Name.Name][i] = vocab
					}
					i++
				}
			}
		}
	}
	checked := map[string]int{}
	check := func(vocab string, e ast.Expr) {
		var v string
		switch x := e.(type) {
		case *ast.BasicLit:
			v, _ = strconv.Unquote(x.Value)
		case *ast.SelectorExpr:
			pkg, ok := x.X.(*ast.Ident)
			c, known := consts[x.Sel.Name]
			if !ok || pkg.Name != "api" || !known {
				t.Errorf("%s: a %s that is not a literal or an api constant", fset.Position(e.Pos()), vocab)
				return
			}
			v = c
		case *ast.Ident:
			if x.Name == "code" || x.Name == "action" {
				return // a parameter: its callers are checked
			}
			t.Errorf("%s: the %s %s is not a literal or an api constant", fset.Position(e.Pos()), vocab, x.Name)
			return
		default:
			t.Errorf("%s: a %s that is not a literal or an api constant", fset.Position(e.Pos()), vocab)
			return
		}
		checked[vocab]++
		if !slices.Contains(enums[vocab], v) {
			t.Errorf("%s: portald sends the %s %q, which the document's enum lacks", fset.Position(e.Pos()), vocab, v)
		}
	}
	for _, af := range parsed {
		ast.Inspect(af, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := x.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				for i, vocab := range params[name] {
					if i < len(x.Args) {
						check(vocab, x.Args[i])
					}
				}
			case *ast.CompositeLit:
				keys := map[string]ast.Expr{}
				for _, el := range x.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok {
							keys[k.Name] = kv.Value
						}
					}
				}
				_, isField := keys["Field"]
				_, isProblem := keys["Status"]
				switch code := keys["Code"]; {
				case code != nil && isField:
					check("field code", code)
				case code != nil && isProblem:
					check("problem", code)
				}
				if a := keys["action"]; a != nil {
					check("action", a)
				}
				if tt := keys["targetType"]; tt != nil {
					check("target type", tt)
				}
			}
			return true
		})
	}
	for vocab := range enums {
		if checked[vocab] == 0 {
			t.Errorf("found no %s in the source: the test no longer sees how portald writes them", vocab)
		}
	}
}

// apiConstants are the string constants of internal/api, by name.
func apiConstants(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../api/*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec) //nolint:forcetypeassert // a const declaration holds value specs
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					switch v := vs.Values[i].(type) {
					case *ast.BasicLit:
						if s, err := strconv.Unquote(v.Value); err == nil {
							out[name.Name] = s
						}
					case *ast.Ident: // FieldEmailTaken = CodeEmailTaken
						out[name.Name] = "=" + v.Name
					}
				}
			}
		}
	}
	for name, v := range out {
		if ref, ok := strings.CutPrefix(v, "="); ok {
			out[name] = out[ref]
		}
	}
	return out
}

// TestAuditTrailRecordsEveryDocumentedAction makes every kind of change and
// reads the trail back (through the contract check of env.Do): the actions
// and target types recorded are exactly the document's enums.
func TestAuditTrailRecordsEveryDocumentedAction(t *testing.T) {
	w := newWorld(t)
	owner := w.OwnerToken
	do := func(method, path string, body any, status int) {
		t.Helper()
		wantStatus(t, w.Do(t, owner, method, path, body), status)
	}
	partner := "/v1/partners/" + w.PartnerID
	do(http.MethodPatch, partner, api.PartnerUpdate{Name: ptr("Acme Ltd")}, http.StatusOK)
	do(http.MethodPost, partner+"/roles", api.RoleCreate{Key: "clerk", Name: "Clerk", Rank: 30, Permissions: []string{api.PermUsersRead}}, http.StatusCreated)
	do(http.MethodPatch, partner+"/roles/clerk", api.RoleUpdate{Name: ptr("Clerk II")}, http.StatusOK)
	do(http.MethodDelete, partner+"/roles/clerk", nil, http.StatusNoContent)

	u := w.user(w.PartnerID, "tour@acme.test", api.RoleMember)
	users := w.usersPath(w.PartnerID) + "/" + u.ID
	do(http.MethodPatch, users, api.UserUpdate{FirstName: ptr("Tour")}, http.StatusOK)
	do(http.MethodPut, users+"/roles", api.GrantsReplace{Roles: []string{api.RoleReadOnly}}, http.StatusOK)
	do(http.MethodPut, users+"/roles/"+api.RoleMember, nil, http.StatusCreated)
	do(http.MethodDelete, users+"/roles/"+api.RoleMember, nil, http.StatusNoContent)
	wantStatus(t, w.Do(t, "", http.MethodPost, "/v1/password-setup",
		api.PasswordSetup{Token: w.lastMail("tour@acme.test").Token, Password: "correct horse battery"}), http.StatusOK)
	w.tokenFor(w.PartnerID, u.ID)
	do(http.MethodDelete, users, nil, http.StatusNoContent)
	do(http.MethodPost, users+"/restore", nil, http.StatusOK)
	do(http.MethodPost, users+"/password-reset", nil, http.StatusAccepted)

	inv := w.invite(api.InviteCreate{Email: "guest@acme.test", Roles: []string{api.RoleMember}})
	invite := w.invitesPath() + "/" + inv.ID
	do(http.MethodPatch, invite, api.InviteUpdate{Roles: &[]string{api.RoleReadOnly}}, http.StatusOK)
	do(http.MethodPost, invite+"/resend", nil, http.StatusOK)
	do(http.MethodPost, invite+"/revoke", nil, http.StatusOK)
	w.invite(api.InviteCreate{Email: "joiner@acme.test"})
	wantStatus(t, w.Do(t, "", http.MethodPost, "/v1/invites/accept",
		api.InviteAccept{Token: w.lastMail("joiner@acme.test").Token, Password: "correct horse battery"}), http.StatusCreated)

	var list api.AuditEventList
	w.Do(t, owner, http.MethodGet, partner+"/audit-events?page_size=500", nil).Decode(t, &list)
	var actions, targets []string
	for _, e := range list.Events {
		if !slices.Contains(actions, e.Action) {
			actions = append(actions, e.Action)
		}
		if !slices.Contains(targets, e.TargetType) {
			targets = append(targets, e.TargetType)
		}
	}
	if enum := specEnum(t, "AuditEvent", "action"); !sameSet(actions, enum) {
		t.Errorf("the tour recorded the actions %v; the document lists %v", slices.Sorted(slices.Values(actions)), enum)
	}
	if enum := specEnum(t, "AuditEvent", "target_type"); !sameSet(targets, enum) {
		t.Errorf("the tour recorded the target types %v; the document lists %v", slices.Sorted(slices.Values(targets)), enum)
	}
}
