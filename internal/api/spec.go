package api

import _ "embed"

// OpenAPI is the Portal API v1 contract, internal/api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
