// Package xdsauth authenticates and authorizes callers of the control
// plane: proxies on the authenticated xDS port (15012), by a client
// certificate the mesh CA issued or a service-account token the API server
// reviews (TokenReview), and users of the debug endpoints, by a bearer
// token and a SubjectAccessReview. Nothing here trusts what a caller says
// about itself: the node id a proxy announces is checked against the
// identity it proved (AuthorizeNode).
//
// Token reviews are cached by the token's SHA-256, for at most the token's
// remaining lifetime and MaxTTL; concurrent reviews of one token are one API
// call; a refusal is cached a few seconds; an API server error is never
// cached.
package xdsauth
