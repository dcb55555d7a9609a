// slipway builds the lifecycle from its released source, with this file in place of
// internal/extend/kaniko/dockerfile_applier.go (and an empty dockerfile_applier_linux.go).
//
// Why: the upstream Dockerfile applier imports github.com/osscontainertools/kaniko, which the
// Go module proxy this project's machines use does not serve, so the lifecycle cannot be built
// with it. The applier is only used by the `extender` phase (image extensions). slipway/rust
// uses no extensions, and neither analyzer, detector, restorer, builder, exporter nor the
// launcher call it; an extension build fails loudly instead of silently doing nothing.
package kaniko

import (
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/buildpacks/lifecycle/internal/extend"
	"github.com/buildpacks/lifecycle/log"
)

var errUnsupported = errors.New("image extensions are not supported by this lifecycle build (slipway: built without kaniko)")

// DockerfileApplier fails every call: see the file comment.
type DockerfileApplier struct{}

// NewDockerfileApplier always fails: see the file comment.
func NewDockerfileApplier() (*DockerfileApplier, error) { return nil, errUnsupported }

// ImageFor always fails: see the file comment.
func (a *DockerfileApplier) ImageFor(string) (v1.Image, error) { return nil, errUnsupported }

// Apply always fails: see the file comment.
func (a *DockerfileApplier) Apply(extend.Dockerfile, v1.Image, extend.Options, log.Logger) (v1.Image, error) {
	return nil, errUnsupported
}

// Cleanup has nothing to clean up.
func (a *DockerfileApplier) Cleanup() error { return nil }
