// Package connbudget bounds the client connections that have not finished
// the CQL handshake. They get a budget of their own, separate from the
// slots of logged-in clients: a fixed cap, and when it is reached the
// oldest unfinished handshake is closed to admit the newcomer. A flood of
// idle or slow sockets therefore costs at most the cap, each for at most
// the handshake timeout, and a real driver connecting during the flood
// still gets in (it evicts the oldest idle socket and finishes its
// handshake in milliseconds).
//
// Events (evictions, timeouts, rejections) are counted, and logged through
// Summary at most once per interval with a count instead of one line each.
package connbudget
