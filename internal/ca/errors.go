package ca

import "fmt"

// SecretError says which Secret and which key of it holds bad CA material,
// and why; callers that know the namespace set it, so the message names
// the object as a user would look it up.
type SecretError struct {
	Namespace, Secret, Key string
	Err                    error
}

func (e *SecretError) Error() string {
	name := e.Secret
	if e.Namespace != "" {
		name = e.Namespace + "/" + e.Secret
	}
	return fmt.Sprintf("Secret %s: %s: %v", name, e.Key, e.Err)
}

func (e *SecretError) Unwrap() error { return e.Err }
