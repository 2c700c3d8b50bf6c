package proxy

import "time"

// readPauseWaiting is how many requests may wait for a stream id before the
// client's reader stops reading more (router.go queues up to maxWaiting).
// Requests wait when the clusters' stream ids are all in use, typically
// because the client does not read its answers (the cluster readers then
// block on its full writer and free no id). Reading on would only grow the
// queue, each request holding its frame and a timer; not reading lets TCP
// push back on the client instead. A real driver reading its answers
// drains the queue within its round trips and is never paused long.
const readPauseWaiting = 1024

// pauseWhileQueued keeps the reader from reading while too many requests
// wait, until the queue drains or the connection closes. Only called when
// requests are waiting, so the data path pays one atomic load otherwise.
func (cc *clientConn) pauseWhileQueued() {
	for !isClosed(cc.closed) {
		cc.waitMu.Lock()
		n := len(cc.waiting)
		cc.waitMu.Unlock()
		if n < readPauseWaiting {
			return
		}
		cc.flush()
		time.Sleep(time.Millisecond)
	}
}
