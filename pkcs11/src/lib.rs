#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! - [`config`]: [`Pkcs11Config`] (module, token label, [`Pin`]) and `from_env`.
//! - [`backend`]: [`Pkcs11Backend`], the engine's `KeyBackend` over the token.
//! - [`object_ref`]: [`ObjectRef`], the RFC 7512 reference a hardware key handle is.
//! - [`error`]: PKCS#11 function and return value names in error messages.
//! - [`module`]: the process-wide module context ([`shared_context`]).

pub mod backend;
pub mod config;
pub mod error;
pub mod module;
pub mod object_ref;
mod pool;
mod preview;

pub use backend::Pkcs11Backend;
pub use config::{Pin, Pkcs11Config, ENV_MAX_SESSIONS, ENV_MODULE, ENV_PIN, ENV_TOKEN};
pub use module::shared_context;
pub use object_ref::ObjectRef;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_send_and_sync_so_threads_can_share_it() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Pkcs11Backend>();
    }
}
