#!/usr/bin/env bash
# make demo: build the provider and portald, start portald on loopback with a
# bootstrapped partner, apply examples/quickstart (a team from a CSV), change
# one person's roles through the API as someone would by hand, and show the
# plan that catches it. Everything lives in a temporary folder; portald is
# stopped at the end.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$repo/bin"
work="$(mktemp -d)"
portald_pid=""
cleanup() {
	if [ -n "$portald_pid" ]; then
		kill -TERM "$portald_pid" 2>/dev/null || true
		wait "$portald_pid" 2>/dev/null || true
		echo "==> portald stopped"
	fi
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n==> %s\n' "$*"; }
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# TERRAFORM=tofu runs it with OpenTofu: the CLI config below serves both.
tf="${TERRAFORM:-terraform}"
command -v "$tf" >/dev/null || { echo "demo: $tf is not on PATH" >&2; exit 1; }
command -v curl >/dev/null || { echo "demo: curl is not on PATH" >&2; exit 1; }

say "Starting portald on loopback with a fresh database in $work"
boot="$("$bin/portald" bootstrap --db "$work/portal.db" --partner "Acme Partners" --owner-email owner@acme.example)"
token="$(printf '%s' "$boot" | json_field token)"
partner="$(printf '%s' "$boot" | json_field partner_id)"
"$bin/portald" serve --db "$work/portal.db" --addr 127.0.0.1:0 --addr-file "$work/addr" 2>"$work/portald.log" &
portald_pid=$!
for _ in $(seq 1 100); do [ -s "$work/addr" ] && break; sleep 0.05; done
[ -s "$work/addr" ] || { cat "$work/portald.log" >&2; echo "demo: portald did not start" >&2; exit 1; }
endpoint="http://$(cat "$work/addr")"
echo "portald at $endpoint, partner $partner"

# Terraform finds the freshly built provider through dev_overrides in a CLI
# config of the demo's own.
cat >"$work/terraformrc" <<CFG
provider_installation {
  dev_overrides {
    "partnerportal/portal" = "$bin"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export PORTAL_ENDPOINT="$endpoint" PORTAL_API_TOKEN="$token" PORTAL_PARTNER_ID="$partner"
export TF_IN_AUTOMATION=1
cp "$repo/examples/quickstart/main.tf" "$repo/examples/quickstart/team.csv" "$work/"
cd "$work"

say "terraform apply: onboarding the team in team.csv"
"$tf" apply -auto-approve -no-color -compact-warnings

say "Someone makes Emma Schmidt an admin by hand, through the portal's API"
emma="$("$tf" output -json user_ids | json_field 'emma.schmidt@acme.example')"
curl -sS -X PUT -H "Authorization: Bearer $token" "$endpoint/v1/partners/$partner/users/$emma/roles/admin" >/dev/null
echo "PUT /v1/partners/$partner/users/$emma/roles/admin"

say "terraform plan catches it (exit code 2 with -detailed-exitcode: changes to apply)"
set +e
"$tf" plan -detailed-exitcode -no-color -compact-warnings
code=$?
set -e
echo
echo "terraform plan exit code: $code. The plan takes back the admin role granted by hand;"
echo "terraform apply would put Emma's roles back to what team.csv says."
if [ "$code" -ne 2 ]; then
	echo "demo: expected the plan to show the hand-made change (exit code 2)" >&2
	exit 1
fi
