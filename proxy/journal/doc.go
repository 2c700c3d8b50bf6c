// Package journal is a durable, bounded, append-only log of writes that one
// cluster missed (DUAL_ASYNC_ON_SECONDARY), kept so they can be replayed
// later with their original timestamps.
//
// On disk a journal is a directory of segment files named seg-<seq>.zj. A
// segment starts with an 8-byte magic and holds records, each framed as
//
//	magic u16 | reserved u16 | length u32 | crc32c(length||payload) u32 | payload
//
// Appends are batched: a committer writes every queued record in one write
// and fsyncs once (group commit). A crash mid-batch leaves a torn tail that
// readers treat as the end of the segment, so at most the last batch is lost
// and earlier records are never affected. A writer never appends to a segment
// it did not create: every Open starts a new segment.
//
// Replay progress is a cursor file (segment, offset of the next record to
// replay) written atomically by the one process holding replay.lock; fully
// replayed segments are deleted by whoever notices first. The proxy (the
// writer) and `zdm-proxy journal replay` (the reader) may run at once.
package journal
