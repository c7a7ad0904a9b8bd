package pgerror

import (
	"errors"
	"fmt"
)

// SQLSTATE codes used by weir. See PostgreSQL's errcodes.txt.
const (
	CodeSuccessfulCompletion         = "00000"
	CodeWarning                      = "01000"
	CodeFeatureNotSupported          = "0A000"
	CodeCardinalityViolation         = "21000"
	CodeDataException                = "22000"
	CodeStringDataRightTruncation    = "22001"
	CodeNumericValueOutOfRange       = "22003"
	CodeNullValueNotAllowed          = "22004"
	CodeInvalidDatetimeFormat        = "22007"
	CodeDatetimeFieldOverflow        = "22008"
	CodeDivisionByZero               = "22012"
	CodeInvalidParameterValue        = "22023"
	CodeInvalidRegularExpression     = "2201B"
	CodeInvalidTextRepresentation    = "22P02"
	CodeInvalidBinaryRepresentation  = "22P03"
	CodeBadCopyFileFormat            = "22P04"
	CodeNotNullViolation             = "23502"
	CodeUniqueViolation              = "23505"
	CodeInvalidTransactionState      = "25000"
	CodeInvalidSQLStatementName      = "26000"
	CodeInvalidCursorName            = "34000"
	CodeSyntaxError                  = "42601"
	CodeInsufficientPrivilege        = "42501"
	CodeUndefinedColumn              = "42703"
	CodeUndefinedFunction            = "42883"
	CodeUndefinedTable               = "42P01"
	CodeUndefinedParameter           = "42P02"
	CodeUndefinedObject              = "42704"
	CodeDuplicateColumn              = "42701"
	CodeDuplicateTable               = "42P07"
	CodeDuplicateObject              = "42710"
	CodeAmbiguousColumn              = "42702"
	CodeGroupingError                = "42803"
	CodeWindowingError               = "42P20"
	CodeDatatypeMismatch             = "42804"
	CodeCannotCoerce                 = "42846"
	CodeIndeterminateDatatype        = "42P18"
	CodeInvalidColumnReference       = "42P10"
	CodeWrongObjectType              = "42809"
	CodeDependentObjectsStillExist   = "2BP01"
	CodeProtocolViolation            = "08P01"
	CodeQueryCanceled                = "57014"
	CodeAdminShutdown                = "57P01"
	CodeInvalidPassword              = "28P01"
	CodeInvalidAuthorization         = "28000"
	CodeObjectNotInPrerequisiteState = "55000"
	CodeInternalError                = "XX000"
	CodeDataCorrupted                = "XX001"
	CodeIOError                      = "58030"
)

// Error is an error with a SQLSTATE. Position, when non-zero, is the 1-based
// character position in the text the user sent (never in rewritten text).
type Error struct {
	Code     string
	Message  string
	Detail   string
	Hint     string
	Position int
	// Cause is an optional wrapped error; Message already describes it.
	Cause error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the wrapped cause, if any.
func (e *Error) Unwrap() error { return e.Cause }

// New returns an Error with the code and a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies err with code unless it already carries a SQLSTATE, in
// which case err is returned as a *Error unchanged.
func Wrap(err error, code string) *Error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Code: code, Message: err.Error(), Cause: err}
}

// WithPosition sets the 1-based position if the error has none yet and
// returns the error for chaining. A non-positive pos is ignored.
func (e *Error) WithPosition(pos int) *Error {
	if e.Position == 0 && pos > 0 {
		e.Position = pos
	}
	return e
}

// WithDetail sets Detail and returns the error.
func (e *Error) WithDetail(format string, args ...any) *Error {
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// WithHint sets Hint and returns the error.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// Code returns the SQLSTATE of err: that of the first *Error in its chain,
// or XX000 for an unclassified error, or "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return CodeInternalError
}

// Convert returns err as a *Error, classifying an unclassified error as XX000.
func Convert(err error) *Error { return Wrap(err, CodeInternalError) }

// Syntax returns a 42601 error at the 1-based position pos.
func Syntax(pos int, format string, args ...any) *Error {
	return New(CodeSyntaxError, format, args...).WithPosition(pos)
}

// NotSupported returns a 0A000 error.
func NotSupported(format string, args ...any) *Error {
	return New(CodeFeatureNotSupported, format, args...)
}
