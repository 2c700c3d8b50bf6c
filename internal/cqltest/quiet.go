package cqltest

import "github.com/rs/zerolog"

func init() {
	// The protocol library logs every frame at debug level; keep tests quiet.
	zerolog.SetGlobalLevel(zerolog.WarnLevel)
}
