package proxy

import "time"

// SetControlRelogin shortens how long a control connection lives before it
// logs in again; the returned func restores it.
func SetControlRelogin(d time.Duration) (restore func()) {
	old := controlRelogin
	controlRelogin = d
	return func() { controlRelogin = old }
}

// SetSecondaryAuthWait changes how long a secondary may take to answer a
// client's credentials it accepted before; the returned func restores it.
func SetSecondaryAuthWait(d time.Duration) (restore func()) {
	old := secondaryAuthWait
	secondaryAuthWait = d
	return func() { secondaryAuthWait = old }
}
