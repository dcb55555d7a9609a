//! What every HTTP client of slipway-release shares: the TLS crypto provider. The Heroku API
//! client and the S3 store both call [`install_crypto_provider`] before building one.

/// Makes ring, the only TLS crypto provider compiled in, the process default. sqlx picks ring
/// itself; reqwest (`rustls-no-provider`, for S3 and Heroku's API) takes the process default,
/// so every place that builds a reqwest client calls this first.
pub(crate) fn install_crypto_provider() {
    // An error only means that a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
