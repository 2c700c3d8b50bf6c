//go:build !linux

package load

import "time"

func lockPacerThread() {}

func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }
