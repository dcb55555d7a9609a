//! The launch layer with the app's binaries, on `PATH` at runtime.

use crate::RustBuildpack;
use crate::cargo_build::BuiltBinary;
use crate::errors::RustBuildpackError;
use crate::processes::BinTarget;
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::UncachedLayerDefinition;

/// Copies each binary target, from where cargo said it built it, into the layer's `bin/`.
pub(crate) fn install_app_binaries(
    context: &BuildContext<RustBuildpack>,
    bins: &[BinTarget],
    built: &[BuiltBinary],
) -> libcnb::Result<(), RustBuildpackError> {
    let layer = context.uncached_layer(
        layer_name!("app"),
        UncachedLayerDefinition {
            build: false,
            launch: true,
        },
    )?;
    let bin_dir = layer.path().join("bin");
    std::fs::create_dir_all(&bin_dir).map_err(|error| RustBuildpackError::Io {
        what: format!("creating {}", bin_dir.display()),
        error,
    })?;
    for bin in bins {
        let Some(from) = built
            .iter()
            .find(|artifact| artifact.name == bin.name)
            .map(|artifact| &artifact.path)
        else {
            return Err(RustBuildpackError::Io {
                what: format!("finding the binary `{}`", bin.name),
                error: std::io::Error::other("cargo reported no executable for it"),
            }
            .into());
        };
        let to = bin_dir.join(&bin.name);
        std::fs::copy(from, &to).map_err(|error| RustBuildpackError::Io {
            what: format!("copying {} to {}", from.display(), to.display()),
            error,
        })?;
        print::sub_bullet(format!("{} (package {})", bin.name, bin.package));
    }
    Ok(())
}
