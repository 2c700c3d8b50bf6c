package metrics

import "github.com/datastax/go-cassandra-native-protocol/primitive"

// ErrorLabel is the value of the "error" label of zdm_*_requests_failed_total.
type ErrorLabel int

// Error label values, as in ZDM Proxy.
const (
	ErrReadTimeout ErrorLabel = iota
	ErrWriteTimeout
	ErrUnavailable
	ErrOverloaded
	ErrReadFailure
	ErrWriteFailure
	ErrUnprepared
	ErrClientTimeout // the proxy gave up waiting for the cluster
	ErrOther
	numErrorLabels
)

var errorLabelNames = [numErrorLabels]string{
	ErrReadTimeout:   "read_timeout",
	ErrWriteTimeout:  "write_timeout",
	ErrUnavailable:   "unavailable",
	ErrOverloaded:    "overloaded",
	ErrReadFailure:   "read_failure",
	ErrWriteFailure:  "write_failure",
	ErrUnprepared:    "unprepared",
	ErrClientTimeout: "client_timeout",
	ErrOther:         "other",
}

// String returns the label value.
func (e ErrorLabel) String() string {
	if e < 0 || e >= numErrorLabels {
		return "other"
	}
	return errorLabelNames[e]
}

// ErrorLabelOf maps a CQL ERROR code to its label; codes without a label of
// their own (syntax, invalid, server error...) are "other".
func ErrorLabelOf(code primitive.ErrorCode) ErrorLabel {
	switch code {
	case primitive.ErrorCodeReadTimeout:
		return ErrReadTimeout
	case primitive.ErrorCodeWriteTimeout:
		return ErrWriteTimeout
	case primitive.ErrorCodeUnavailable:
		return ErrUnavailable
	case primitive.ErrorCodeOverloaded:
		return ErrOverloaded
	case primitive.ErrorCodeReadFailure:
		return ErrReadFailure
	case primitive.ErrorCodeWriteFailure:
		return ErrWriteFailure
	case primitive.ErrorCodeUnprepared:
		return ErrUnprepared
	default:
		return ErrOther
	}
}
