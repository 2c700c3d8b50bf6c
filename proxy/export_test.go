package proxy

import "time"

// SetControlRelogin shortens how long a control connection lives before it
// logs in again; the returned func restores it.
func SetControlRelogin(d time.Duration) (restore func()) {
	old := controlRelogin
	controlRelogin = d
	return func() { controlRelogin = old }
}
