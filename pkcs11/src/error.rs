//! From PKCS#11 failures to the engine's errors.
//!
//! Every token failure becomes a `BackendError` whose message names the PKCS#11
//! function and its return value (`C_Login returned CKR_PIN_INCORRECT`), so an operator
//! can look both up in the HSM vendor's documentation. Decryption is the exception:
//! whatever the token says about a ciphertext that does not verify becomes the opaque
//! `DecryptFailed`, exactly as in the software backend (CR-2).

use cryptoki::context::Function;
use cryptoki::error::{Error as P11Error, RvError};
use kms_share_core::{Error, ErrorCode, Rule};

/// The rule behind hardware key storage.
pub(crate) const RULE: Rule = Rule::Cr5;

/// The `CKR_...` name of a return value (`PinIncorrect` -> `CKR_PIN_INCORRECT`).
pub fn rv_name(rv: RvError) -> String {
    match rv {
        RvError::VendorDefined(v) => format!("CKR_VENDOR_DEFINED+{v:#x}"),
        RvError::UnknownErrorCode(v) => format!("unknown CK_RV {v:#x}"),
        other => format!("CKR_{}", screaming_snake(&format!("{other:?}"))),
    }
}

/// The C name of a PKCS#11 function (`Function::Login` -> `C_Login`).
pub fn function_name(f: Function) -> String {
    format!("C_{f:?}")
}

/// A `BackendError` for a failed PKCS#11 call, saying what the backend was doing.
pub(crate) fn backend(doing: &str, e: &P11Error) -> Error {
    let what = match e {
        P11Error::Pkcs11(rv, f) => format!("{} returned {}", function_name(*f), rv_name(*rv)),
        P11Error::LibraryLoading(l) => format!("the module did not load ({l})"),
        P11Error::MissingSymbol(s) => format!("the library has no `{s}`: it is not a PKCS#11 module"),
        P11Error::NullFunctionPointer => "the module lacks a PKCS#11 function the backend needs".to_string(),
        other => format!("the PKCS#11 wrapper failed ({other})"),
    };
    Error::new(ErrorCode::BackendError, RULE, format!("{doing}: {what}"))
}

/// A `BackendError` that is not a PKCS#11 return value.
pub(crate) fn other(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::BackendError, RULE, message)
}

/// The return values a token gives for a ciphertext, tag or AAD that does not verify.
///
/// SoftHSM2 answers a wrong tag or AAD with `CKR_GENERAL_ERROR`; the standard says
/// `CKR_ENCRYPTED_DATA_INVALID`; other tokens use the length and generic codes. They all
/// depend on the ciphertext, so they all become the one opaque `DecryptFailed`; codes
/// about sessions, login or the device do not, and stay `BackendError`.
pub(crate) fn is_verification_failure(rv: RvError) -> bool {
    matches!(
        rv,
        RvError::GeneralError
            | RvError::FunctionFailed
            | RvError::EncryptedDataInvalid
            | RvError::EncryptedDataLenRange
            | RvError::DataInvalid
            | RvError::DataLenRange
            | RvError::SignatureInvalid
            | RvError::SignatureLenRange
    )
}

fn screaming_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 8);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_values_read_as_in_the_standard() {
        assert_eq!(rv_name(RvError::PinIncorrect), "CKR_PIN_INCORRECT");
        assert_eq!(rv_name(RvError::GeneralError), "CKR_GENERAL_ERROR");
        assert_eq!(rv_name(RvError::UserNotLoggedIn), "CKR_USER_NOT_LOGGED_IN");
        assert_eq!(rv_name(RvError::SlotIdInvalid), "CKR_SLOT_ID_INVALID");
        assert_eq!(rv_name(RvError::CryptokiAlreadyInitialized), "CKR_CRYPTOKI_ALREADY_INITIALIZED");
        assert_eq!(rv_name(RvError::VendorDefined(0x8000_0001)), "CKR_VENDOR_DEFINED+0x80000001");
    }

    #[test]
    fn functions_read_as_in_the_standard() {
        assert_eq!(function_name(Function::Login), "C_Login");
        assert_eq!(function_name(Function::EncryptInit), "C_EncryptInit");
        assert_eq!(function_name(Function::InitPIN), "C_InitPIN");
    }

    #[test]
    fn a_failed_call_names_function_and_return_value() {
        let e = backend("logging in to token `t`", &P11Error::Pkcs11(RvError::PinIncorrect, Function::Login));
        assert_eq!(e.code, ErrorCode::BackendError);
        assert_eq!(e.message, "logging in to token `t`: C_Login returned CKR_PIN_INCORRECT");
        assert_eq!(e.rule, Some(Rule::Cr5));
    }

    #[test]
    fn only_ciphertext_dependent_codes_are_verification_failures() {
        assert!(is_verification_failure(RvError::GeneralError));
        assert!(is_verification_failure(RvError::EncryptedDataInvalid));
        assert!(!is_verification_failure(RvError::UserNotLoggedIn));
        assert!(!is_verification_failure(RvError::SessionHandleInvalid));
        assert!(!is_verification_failure(RvError::DeviceRemoved));
    }
}
