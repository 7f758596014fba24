// Package console is sailplane's mesh console in the browser: a page of
// plain HTML, CSS and a little script (embedded, no build step) and the
// JSON view it draws, built by a pure function (Build) from the mesh model
// and the ADS server's proxy status. The glue (Handler) only keeps the
// latest values and serves them; the data flows one way.
package console
