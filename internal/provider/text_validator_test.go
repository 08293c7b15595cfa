package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestValidText(t *testing.T) {
	checkStringValidator(t, validText(), "Invalid text", append([]validatorCase{
		{"plain", types.StringValue("Ana Maria"), ""},
		{"accents and scripts", types.StringValue("José Müller 山田 عائشة"), ""},
		{"empty", types.StringValue(""), ""},
		{"newline", types.StringValue("Ana\nMaria"), `"Ana\nMaria" holds the control character U+000A|newlines and tabs`},
		{"tab", types.StringValue("Ana\tMaria"), "U+0009"},
		{"NUL", types.StringValue("Ana\x00"), "U+0000"},
		{"right-to-left override", types.StringValue("Ana\u202egnp.exe"), "bidirectional formatting character U+202E|another order"},
		{"isolate", types.StringValue("\u2066Ana\u2069"), "U+2066"},
		{"invalid UTF-8", types.StringValue("Ana\xff"), "not valid UTF-8"},
	}, nullAndUnknown...))
}

// TestValidEmailSaysWhichCharacter: an address refused for a character no
// text may hold says which.
func TestValidEmailSaysWhichCharacter(t *testing.T) {
	checkStringValidator(t, validEmail(), "Invalid email address", []validatorCase{
		{"bidi override", types.StringValue("ana\u202e@example.com"), "is not a valid email address|bidirectional formatting character U+202E"},
	})
}
