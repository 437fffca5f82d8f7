//! serde's own rules, as the TypeScript generator applies them: reading `#[serde(...)]`
//! attributes and renaming fields and variants exactly as serde_derive does.

use std::collections::BTreeMap;

use syn::Attribute;

use crate::tsgen::GenError;

/// The serde attributes of an item: `key` or `key = "value"`.
pub fn serde_attrs(attrs: &[Attribute]) -> Result<BTreeMap<String, Option<String>>, GenError> {
    let mut out = BTreeMap::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        a.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
            if meta.input.peek(syn::Token![=]) {
                let v: syn::LitStr = meta.value()?.parse()?;
                out.insert(key, Some(v.value()));
            } else if meta.input.peek(syn::token::Paren) {
                // `rename_all(serialize = ..)` and friends: record the key, refuse later if it matters.
                let content;
                syn::parenthesized!(content in meta.input);
                let _: proc_macro2::TokenStream = content.parse()?;
                out.insert(key, None);
            } else {
                out.insert(key, None);
            }
            Ok(())
        })
        .map_err(|e| format!("cannot read a serde attribute: {e}"))?;
    }
    Ok(out)
}

/// serde's `RenameRule::apply_to_field`.
pub fn rename_field(field: &str, rule: Option<&str>) -> Result<String, GenError> {
    let pascal = || {
        let mut s = String::new();
        let mut upper = true;
        for c in field.chars() {
            if c == '_' {
                upper = true;
            } else if upper {
                s.extend(c.to_uppercase());
                upper = false;
            } else {
                s.push(c);
            }
        }
        s
    };
    Ok(match rule {
        None | Some("lowercase") | Some("snake_case") => field.to_string(),
        Some("UPPERCASE") | Some("SCREAMING_SNAKE_CASE") => field.to_ascii_uppercase(),
        Some("PascalCase") => pascal(),
        Some("camelCase") => {
            let p = pascal();
            let mut cs = p.chars();
            match cs.next() {
                Some(first) => first.to_lowercase().chain(cs).collect(),
                None => p,
            }
        }
        Some("kebab-case") => field.replace('_', "-"),
        Some("SCREAMING-KEBAB-CASE") => field.to_ascii_uppercase().replace('_', "-"),
        Some(other) => return Err(format!("unknown serde rename rule `{other}`")),
    })
}

/// serde's `RenameRule::apply_to_variant`.
pub fn rename_variant(variant: &str, rule: Option<&str>) -> Result<String, GenError> {
    let snake = || {
        let mut s = String::new();
        for (i, c) in variant.char_indices() {
            if i > 0 && c.is_uppercase() {
                s.push('_');
            }
            s.push(c.to_ascii_lowercase());
        }
        s
    };
    Ok(match rule {
        None | Some("PascalCase") => variant.to_string(),
        Some("lowercase") => variant.to_ascii_lowercase(),
        Some("UPPERCASE") => variant.to_ascii_uppercase(),
        Some("camelCase") => {
            let mut cs = variant.chars();
            match cs.next() {
                Some(first) => first.to_ascii_lowercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        }
        Some("snake_case") => snake(),
        Some("SCREAMING_SNAKE_CASE") => snake().to_ascii_uppercase(),
        Some("kebab-case") => snake().replace('_', "-"),
        Some("SCREAMING-KEBAB-CASE") => snake().to_ascii_uppercase().replace('_', "-"),
        Some(other) => return Err(format!("unknown serde rename rule `{other}`")),
    })
}
