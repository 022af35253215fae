package executor

import (
	"encoding/json"

	"github.com/promptform/promptform/planner"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// answerError is why an answer cannot be a step's result. Its text is
// that of err (reason when err is nil); reason alone says what is wrong,
// as the model is told when it is asked again.
type answerError struct {
	reason string
	err    error // the error to report, or nil
}

// newAnswerError is the answerError of err, whose message, without the
// package's prefix where it has one, is the reason.
func newAnswerError(err error) *answerError {
	reason := err.Error()
	switch e := err.(type) {
	case *docError:
		reason = e.msg
	case *mismatchError:
		reason = e.message()
	}
	return &answerError{reason: reason, err: err}
}

func (e *answerError) Error() string {
	if e.err == nil {
		return e.reason
	}
	return e.err.Error()
}

func (e *answerError) Unwrap() error { return e.err }

// checkAnswer takes the JSON out of an answer (the whole text, a fenced
// block or the JSON inside prose), validates it and decodes it as the
// schema's type; it returns the result encoded as that type.
func checkAnswer(compiled *resultSchema, sc *planner.Schema, text string) (json.RawMessage, *answerError) {
	doc, ok := extractJSON(text)
	if !ok {
		return nil, &answerError{reason: "the answer holds no JSON"}
	}
	if _, err := compiled.validate(doc); err != nil {
		return nil, newAnswerError(err)
	}
	ty := sc.Type
	v, err := decodeResult(doc, ty)
	if err != nil {
		return nil, newAnswerError(err)
	}
	if ty == cty.NilType {
		ty = v.Type()
	}
	result, err := ctyjson.Marshal(v, ty)
	if err != nil {
		return nil, newAnswerError(err)
	}
	return result, nil
}
