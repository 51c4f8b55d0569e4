#!/bin/sh
# Decodes each config in cases/ exactly as upstream v0.7.x's `server` does (viper
# v1.20.1: GetInt/GetBool/GetString/GetStringSlice through cast v1.8.0, UnmarshalKey
# through go-viper/mapstructure v2.2.1 with WeaklyTypedInput and the "," hook) and
# prints one JSON line per file: upstream's verdict, for docs/server.md "Config leniency"
# table and src/server/config.rs's table tests. `errors` non-empty = upstream exits 1.
# Needs Go; fetches modules from the Go module proxy on first run.
set -eu
cd "$(dirname "$0")"
go run . cases/*.yaml
