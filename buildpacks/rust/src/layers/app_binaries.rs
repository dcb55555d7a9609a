//! The launch layer with the app's binaries, on `PATH` at runtime.

use crate::RustBuildpack;
use crate::cargo_build::BuiltBinary;
use crate::errors::RustBuildpackError;
use crate::layers::launch_bin_layer;
use crate::processes::BinTarget;
use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::sbom::Sbom;

/// Copies each binary target, from where cargo said it built it, into the layer's `bin/`, and
/// attaches the app's SBOM to the layer.
pub(crate) fn install_app_binaries(
    context: &BuildContext<RustBuildpack>,
    bins: &[BinTarget],
    built: &[BuiltBinary],
    sbom: Option<Sbom>,
) -> libcnb::Result<(), RustBuildpackError> {
    let (layer, bin_dir) = launch_bin_layer(context, layer_name!("app"))?;
    if let Some(sbom) = sbom {
        layer.write_sboms(&[sbom])?;
    }
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
