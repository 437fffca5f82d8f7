//! TypeScript declarations generated from the core's Rust types.
//!
//! The core's types carry serde derives, not TypeScript derives, and the binding may not
//! edit the core; so this reads the core's sources with `syn` and applies serde's own
//! rules (`rename_all`, `rename`, `tag`/`content`, `transparent`, `skip`, `default`,
//! `skip_serializing_if`) to print the JSON shape each type serializes to. Types with a
//! hand-written `Serialize` are understood when they serialize as a string
//! (`serialize_str`/`collect_str`) or as one of their fields (`self.field.serialize(s)`);
//! anything else fails the build with the type's name, so a new shape in the core can never
//! turn silently into a wrong declaration.
//!
//! Optional fields: a field is `?` when serde may omit it on output
//! (`skip_serializing_if`) or accept it missing on input (`default`, or `default` in the
//! core's `record!` declaration of how the type is read); one declaration serves both
//! directions.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::{Attribute, Fields, Item, Type};

use crate::serde_rules::{rename_field, rename_variant, serde_attrs};

/// A generator error: what went wrong, naming the type or file.
pub type GenError = String;

/// How a named Rust type serializes.
enum Def {
    /// A `#[derive(Serialize)]` struct.
    Struct(syn::ItemStruct),
    /// A `#[derive(Serialize)]` enum.
    Enum(syn::ItemEnum),
    /// `pub type Name = Type;`
    Alias(Type),
    /// A hand-written `Serialize` that writes a string.
    Str,
    /// A hand-written `Serialize` that writes one of the struct's fields.
    AsField(String),
}

/// Every type definition found in the core, by name.
pub struct Model {
    defs: BTreeMap<String, Vec<Def>>,
    /// `(type, field)` that a `record!` declaration reads with `default`.
    defaulted: BTreeSet<(String, String)>,
    /// The requests and responses declared with `request!` and `response!`, in order.
    pub vendor_types: Vec<String>,
    /// Every struct (serde or not), for [`Def::AsField`] lookups.
    structs: BTreeMap<String, Vec<syn::ItemStruct>>,
}

impl Model {
    /// Read the crate whose root is `lib_rs`, following `mod` declarations (tests excluded).
    ///
    /// # Errors
    /// A file that cannot be read or parsed.
    pub fn load(lib_rs: &Path, seen: &mut Vec<PathBuf>) -> Result<Model, GenError> {
        let mut m = Model {
            defs: BTreeMap::new(),
            defaulted: BTreeSet::new(),
            vendor_types: Vec::new(),
            structs: BTreeMap::new(),
        };
        let mut string_macros = BTreeSet::new();
        let mut invocations = Vec::new();
        m.load_file(lib_rs, true, seen, &mut string_macros, &mut invocations)?;
        for (mac, tokens) in invocations {
            if mac == "record" {
                m.defaulted.extend(record_defaults(tokens.clone()));
            }
            if mac == "request" || mac == "response" {
                let item = vendor_struct(tokens.clone(), mac == "request")?;
                let name = item.ident.to_string();
                m.vendor_types.push(name.clone());
                m.structs.entry(name.clone()).or_default().push(item.clone());
                m.defs.entry(name).or_default().push(Def::Struct(item));
            }
            if string_macros.contains(&mac) {
                if let Some(name) = first_ident_after_attrs(tokens) {
                    m.defs.entry(name).or_default().push(Def::Str);
                }
            }
        }
        Ok(m)
    }

    fn load_file(
        &mut self,
        path: &Path,
        is_mod_root: bool,
        seen: &mut Vec<PathBuf>,
        string_macros: &mut BTreeSet<String>,
        invocations: &mut Vec<(String, proc_macro2::TokenStream)>,
    ) -> Result<(), GenError> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        seen.push(path.to_path_buf());
        let file = syn::parse_file(&text).map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
        // `lib.rs`/`mod.rs` own the directory they sit in; `foo.rs` owns `foo/`.
        let dir = if is_mod_root {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            path.with_extension("")
        };
        self.load_items(&file.items, &dir, seen, string_macros, invocations)
    }

    fn load_items(
        &mut self,
        items: &[Item],
        dir: &Path,
        seen: &mut Vec<PathBuf>,
        string_macros: &mut BTreeSet<String>,
        invocations: &mut Vec<(String, proc_macro2::TokenStream)>,
    ) -> Result<(), GenError> {
        for item in items {
            match item {
                Item::Mod(m) if is_cfg_test(&m.attrs) => {}
                // The declarations describe the WebAssembly build: a native-only twin of a
                // type (`model::Tags`) is not what the module serializes.
                Item::Struct(syn::ItemStruct { attrs, .. })
                | Item::Enum(syn::ItemEnum { attrs, .. })
                | Item::Type(syn::ItemType { attrs, .. })
                | Item::Impl(syn::ItemImpl { attrs, .. })
                    if is_native_only(attrs) => {}
                Item::Mod(m) => match &m.content {
                    Some((_, inner)) => {
                        self.load_items(inner, &dir.join(m.ident.to_string()), seen, string_macros, invocations)?
                    }
                    None => {
                        let name = m.ident.to_string();
                        let flat = dir.join(format!("{name}.rs"));
                        if flat.exists() {
                            self.load_file(&flat, false, seen, string_macros, invocations)?;
                        } else {
                            self.load_file(&dir.join(&name).join("mod.rs"), true, seen, string_macros, invocations)?;
                        }
                    }
                },
                Item::Struct(s) => {
                    self.structs.entry(s.ident.to_string()).or_default().push(s.clone());
                    if derives_serialize(&s.attrs) {
                        self.defs.entry(s.ident.to_string()).or_default().push(Def::Struct(s.clone()));
                    }
                }
                Item::Enum(e) if derives_serialize(&e.attrs) => {
                    self.defs.entry(e.ident.to_string()).or_default().push(Def::Enum(e.clone()));
                }
                Item::Type(t) if t.generics.params.is_empty() && matches!(t.vis, syn::Visibility::Public(_)) => {
                    self.defs.entry(t.ident.to_string()).or_default().push(Def::Alias((*t.ty).clone()));
                }
                Item::Impl(imp) => {
                    let is_serialize = imp
                        .trait_
                        .as_ref()
                        .and_then(|(_, p, _)| p.segments.last())
                        .is_some_and(|s| s.ident == "Serialize");
                    if let (true, Type::Path(tp)) = (is_serialize, &*imp.self_ty) {
                        // The core's containers (`IdMap`, `IdSet`) are mapped like `BTreeMap`
                        // and `BTreeSet` where they are used (`ts_of`).
                        if let Some(seg) = tp.path.segments.last().filter(|s| s.ident != "IdMap" && s.ident != "IdSet")
                        {
                            let def = manual_serialize(imp)
                                .ok_or_else(|| format!("cannot read the hand-written Serialize of `{}`", seg.ident))?;
                            self.defs.entry(seg.ident.to_string()).or_default().push(def);
                        }
                    }
                }
                Item::Macro(im) => {
                    let Some(name) = im.mac.path.segments.last().map(|s| s.ident.to_string()) else { continue };
                    if name == "macro_rules" {
                        // A macro that stamps out `#[serde(transparent)] struct $name(T)` where T
                        // serializes as a string: `String`, or the core's inline `IdText`.
                        let body = im.mac.tokens.to_string().replace(' ', "");
                        let over_text = ["struct$name(String)", "struct$name(IdText)"].iter().any(|p| body.contains(p));
                        if body.contains("serde(transparent)") && over_text {
                            if let Some(ident) = &im.ident {
                                string_macros.insert(ident.to_string());
                            }
                        }
                    } else {
                        invocations.push((name, im.mac.tokens.clone()));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn def(&self, name: &str) -> Result<Option<&Def>, GenError> {
        match self.defs.get(name).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(one)),
            Some(_) => Err(format!("`{name}` is defined more than once with a Serialize: cannot tell which")),
        }
    }
}

/// Prints declarations for `roots` and everything they reach.
pub struct Printer<'m> {
    model: &'m Model,
    /// Rust name -> TypeScript name where they differ (`Error` would shadow JS's `Error`).
    renames: BTreeMap<String, String>,
    queue: VecDeque<String>,
    queued: BTreeSet<String>,
    out: String,
}

impl<'m> Printer<'m> {
    /// A printer over `model`.
    pub fn new(model: &'m Model, renames: &[(&str, &str)]) -> Self {
        Printer {
            model,
            renames: renames.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect(),
            queue: VecDeque::new(),
            queued: BTreeSet::new(),
            out: String::new(),
        }
    }

    /// The declarations of `roots`, of the named `aliases` (a TypeScript name for a Rust
    /// type expression, e.g. `Result<Decision, Error>`) and of every type they reach.
    ///
    /// # Errors
    /// A type the generator does not understand.
    pub fn print(mut self, roots: &[&str], aliases: &[(&str, &str)]) -> Result<String, GenError> {
        self.out.push_str(
            "/** Any JSON value (`serde_json::Value` in the core). */\n\
             export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };\n",
        );
        for (name, rust) in aliases {
            let ty: Type = syn::parse_str(rust).map_err(|e| format!("alias `{name}`: {e}"))?;
            let body = self.ts_of(&ty)?;
            let _ = writeln!(self.out, "\n/** `{rust}` as serde writes it. */\nexport type {name} = {body};");
        }
        for r in roots {
            self.enqueue(r);
        }
        while let Some(name) = self.queue.pop_front() {
            self.print_def(&name)?;
        }
        Ok(self.out)
    }

    fn ts_name(&self, rust: &str) -> String {
        self.renames.get(rust).cloned().unwrap_or_else(|| rust.to_string())
    }

    fn enqueue(&mut self, name: &str) {
        if self.queued.insert(name.to_string()) {
            self.queue.push_back(name.to_string());
        }
    }

    fn print_def(&mut self, name: &str) -> Result<(), GenError> {
        let ts = self.ts_name(name);
        let Some(def) = self.model.def(name)? else {
            return Err(format!("no serializable definition of `{name}` in the core"));
        };
        let (doc, body) = match def {
            Def::Struct(s) => (docs(&s.attrs), self.struct_body(s)?),
            Def::Enum(e) => (docs(&e.attrs), self.enum_body(e)?),
            Def::Alias(t) => (String::new(), self.ts_of(t)?),
            Def::Str => (String::new(), "string".to_string()),
            Def::AsField(field) => {
                let s = match self.model.structs.get(name).map(Vec::as_slice) {
                    Some([one]) => one,
                    _ => return Err(format!("`{name}` serializes as its field `{field}` but its struct is unclear")),
                };
                let f = s
                    .fields
                    .iter()
                    .find(|f| f.ident.as_ref().is_some_and(|i| i == field))
                    .ok_or_else(|| format!("`{name}` has no field `{field}`"))?;
                (docs(&s.attrs), self.ts_of(&f.ty)?)
            }
        };
        self.out.push('\n');
        self.out.push_str(&jsdoc(&doc, ""));
        let sep = if body.starts_with('\n') { "" } else { " " };
        let _ = writeln!(self.out, "export type {ts} ={sep}{body};");
        Ok(())
    }

    fn struct_body(&mut self, s: &syn::ItemStruct) -> Result<String, GenError> {
        let attrs = serde_attrs(&s.attrs)?;
        let name = s.ident.to_string();
        for unsupported in ["tag", "content", "untagged"] {
            if attrs.contains_key(unsupported) {
                return Err(format!("`{name}`: serde `{unsupported}` on a struct is not supported"));
            }
        }
        match &s.fields {
            Fields::Named(named) if !attrs.contains_key("transparent") => {
                let rule = attrs.get("rename_all").cloned().flatten();
                self.object(named.named.iter(), rule.as_deref(), &name, "")
            }
            fields => {
                // Newtypes and `transparent` structs serialize as their one (non-skipped) field.
                let kept: Vec<&syn::Field> = fields
                    .iter()
                    .filter(|f| serde_attrs(&f.attrs).map(|a| !a.contains_key("skip")).unwrap_or(true))
                    .collect();
                match kept.as_slice() {
                    [one] => self.ts_of(&one.ty),
                    [] => Ok("null".to_string()),
                    many => {
                        let parts = many.iter().map(|f| self.ts_of(&f.ty)).collect::<Result<Vec<_>, _>>()?;
                        Ok(format!("[{}]", parts.join(", ")))
                    }
                }
            }
        }
    }

    /// An object type from named fields, `{ a: T; b?: U }`, indented by `indent`.
    fn object<'a>(
        &mut self,
        fields: impl Iterator<Item = &'a syn::Field>,
        rename_all: Option<&str>,
        owner: &str,
        indent: &str,
    ) -> Result<String, GenError> {
        let mut out = String::from("{\n");
        let mut flattened = Vec::new();
        for f in fields {
            let a = serde_attrs(&f.attrs)?;
            if a.contains_key("skip") || a.contains_key("skip_serializing") {
                continue;
            }
            let rust = f.ident.as_ref().map(ToString::to_string).unwrap_or_default();
            let rust = rust.strip_prefix("r#").unwrap_or(&rust).to_string();
            if a.contains_key("flatten") {
                flattened.push(self.ts_of(&f.ty)?);
                continue;
            }
            for unsupported in ["with", "serialize_with", "getter"] {
                if a.contains_key(unsupported) {
                    return Err(format!("`{owner}.{rust}`: serde `{unsupported}` is not supported"));
                }
            }
            let key = match a.get("rename").cloned().flatten() {
                Some(r) => r,
                None => rename_field(&rust, rename_all)?,
            };
            let optional = a.contains_key("skip_serializing_if")
                || a.contains_key("default")
                || self.model.defaulted.contains(&(owner.to_string(), rust.clone()));
            let ty = match (optional, option_inner(&f.ty)) {
                // Omitted when None (or absent on input): `key?: T`.
                (true, Some(inner)) => self.ts_of(inner)?,
                _ => self.ts_of(&f.ty)?,
            };
            out.push_str(&jsdoc(&docs(&f.attrs), &format!("{indent}  ")));
            let _ = writeln!(out, "{indent}  {}{}: {ty};", quote_key(&key), if optional { "?" } else { "" });
        }
        out.push_str(indent);
        out.push('}');
        for f in flattened {
            out = format!("{out} & {f}");
        }
        Ok(out)
    }

    fn enum_body(&mut self, e: &syn::ItemEnum) -> Result<String, GenError> {
        let attrs = serde_attrs(&e.attrs)?;
        let owner = e.ident.to_string();
        let rule = attrs.get("rename_all").cloned().flatten();
        let tag = attrs.get("tag").cloned().flatten();
        let content = attrs.get("content").cloned().flatten();
        let untagged = attrs.contains_key("untagged");
        let mut arms = Vec::new();
        for v in &e.variants {
            let va = serde_attrs(&v.attrs)?;
            if va.contains_key("skip") || va.contains_key("skip_serializing") {
                continue;
            }
            let vname = match va.get("rename").cloned().flatten() {
                Some(r) => r,
                None => rename_variant(&v.ident.to_string(), rule.as_deref())?,
            };
            let field_rule = va.get("rename_all").cloned().flatten();
            let lit = format!("\"{vname}\"");
            let payload = match &v.fields {
                Fields::Unit => None,
                Fields::Unnamed(u) if u.unnamed.len() == 1 => {
                    Some(u.unnamed.iter().map(|f| self.ts_of(&f.ty)).collect::<Result<Vec<_>, _>>()?.join(""))
                }
                Fields::Unnamed(u) => {
                    let parts = u.unnamed.iter().map(|f| self.ts_of(&f.ty)).collect::<Result<Vec<_>, _>>()?;
                    Some(format!("[{}]", parts.join(", ")))
                }
                Fields::Named(n) => Some(self.object(n.named.iter(), field_rule.as_deref(), &owner, "  ")?),
            };
            let arm = match (untagged, &tag, &content, payload) {
                (true, _, _, None) => "null".to_string(),
                (true, _, _, Some(p)) => p,
                (false, None, _, None) => lit,
                (false, None, _, Some(p)) => format!("{{ {}: {p} }}", quote_key(&vname)),
                (false, Some(t), None, None) => format!("{{ {}: {lit} }}", quote_key(t)),
                (false, Some(t), None, Some(p)) => match &v.fields {
                    Fields::Named(_) => match p.strip_prefix("{\n") {
                        Some(rest) => format!("{{\n    {}: {lit};\n{rest}", quote_key(t)),
                        None => return Err(format!("`{owner}::{}`: unexpected payload", v.ident)),
                    },
                    _ => format!("({{ {}: {lit} }} & {p})", quote_key(t)),
                },
                (false, Some(t), Some(_), None) => format!("{{ {}: {lit} }}", quote_key(t)),
                (false, Some(t), Some(c), Some(p)) => format!("{{ {}: {lit}; {}: {p} }}", quote_key(t), quote_key(c)),
            };
            arms.push(arm);
        }
        if arms.is_empty() {
            return Ok("never".to_string());
        }
        if arms.iter().all(|a| !a.contains('\n')) {
            return Ok(arms.join(" | "));
        }
        Ok(arms.iter().map(|a| format!("\n  | {a}")).collect::<String>())
    }

    /// The TypeScript type of a Rust type, queueing the named types it uses.
    fn ts_of(&mut self, ty: &Type) -> Result<String, GenError> {
        match ty {
            Type::Reference(r) => self.ts_of(&r.elem),
            Type::Paren(p) => self.ts_of(&p.elem),
            Type::Group(g) => self.ts_of(&g.elem),
            Type::Slice(s) => Ok(array_of(&self.ts_of(&s.elem)?)),
            Type::Array(a) => Ok(array_of(&self.ts_of(&a.elem)?)),
            Type::Tuple(t) if t.elems.is_empty() => Ok("null".to_string()),
            Type::Tuple(t) => {
                let parts = t.elems.iter().map(|e| self.ts_of(e)).collect::<Result<Vec<_>, _>>()?;
                Ok(format!("[{}]", parts.join(", ")))
            }
            Type::Path(p) => self.ts_of_path(p),
            other => Err(format!("unsupported type `{}`", other.to_token_stream())),
        }
    }

    fn ts_of_path(&mut self, p: &syn::TypePath) -> Result<String, GenError> {
        let seg = p.path.segments.last().ok_or("empty type path")?;
        let name = seg.ident.to_string();
        let args: Vec<&Type> = match &seg.arguments {
            syn::PathArguments::AngleBracketed(a) => a
                .args
                .iter()
                .filter_map(|g| match g {
                    syn::GenericArgument::Type(t) => Some(t),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let arg = |i: usize| -> Result<&Type, GenError> {
            args.get(i).copied().ok_or_else(|| format!("`{name}` without its type argument"))
        };
        Ok(match name.as_str() {
            "String" | "str" | "char" | "Cow" => "string".to_string(),
            "bool" => "boolean".to_string(),
            "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" | "f32" | "f64" => {
                "number".to_string()
            }
            // `RawValue` is JSON text written out as it is: any JSON value.
            "Value" | "RawValue" => "JsonValue".to_string(),
            "Map" => "{ [key: string]: JsonValue }".to_string(),
            "Option" => format!("{} | null", self.ts_of(arg(0)?)?),
            "Box" | "Rc" | "Arc" => self.ts_of(arg(0)?)?,
            "Vec" | "VecDeque" | "BTreeSet" | "HashSet" | "IdSet" => array_of(&self.ts_of(arg(0)?)?),
            "BTreeMap" | "HashMap" | "IdMap" => {
                let k = self.ts_of(arg(0)?)?;
                let v = self.ts_of(arg(1)?)?;
                // JSON object keys are strings: keep a key type only when it is one.
                let key = if k == "string" || self.is_string(arg(0)?)? { k } else { "string".to_string() };
                format!("Record<{key}, {v}>")
            }
            "Result" => {
                let ok = self.ts_of(arg(0)?)?;
                let err = match args.get(1) {
                    Some(e) => self.ts_of(e)?,
                    None => {
                        self.enqueue("Error");
                        self.ts_name("Error")
                    }
                };
                format!("{{ Ok: {ok} }} | {{ Err: {err} }}")
            }
            _ => match self.model.def(&name)? {
                // Plain aliases of primitives are inlined (`Timestamp` = u64 is a number).
                Some(Def::Alias(t)) if is_primitive(t) => {
                    let t = t.clone();
                    self.ts_of(&t)?
                }
                Some(_) => {
                    self.enqueue(&name);
                    self.ts_name(&name)
                }
                None => return Err(format!("`{name}` has no serializable definition in the core")),
            },
        })
    }

    /// Whether a type serializes as a JSON string.
    fn is_string(&self, ty: &Type) -> Result<bool, GenError> {
        let Type::Path(p) = ty else { return Ok(false) };
        let Some(seg) = p.path.segments.last() else { return Ok(false) };
        let name = seg.ident.to_string();
        Ok(match self.model.def(&name)? {
            Some(Def::Str) => true,
            Some(Def::Alias(t)) => self.is_string(t)?,
            _ => matches!(name.as_str(), "String" | "str"),
        })
    }
}

fn is_primitive(t: &Type) -> bool {
    let s = t.to_token_stream().to_string();
    matches!(
        s.as_str(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" | "f32" | "f64" | "bool"
    )
}

fn array_of(t: &str) -> String {
    if t.chars().all(|c| c.is_alphanumeric() || c == '_') {
        format!("{t}[]")
    } else {
        format!("({t})[]")
    }
}

fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Option" {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

fn quote_key(k: &str) -> String {
    let plain = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        k.to_string()
    } else {
        format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") && a.to_token_stream().to_string().replace(' ', "").contains("(test)"))
}

/// `#[cfg(not(target_arch = "wasm32"))]`: compiled out of the WebAssembly module.
fn is_native_only(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.to_token_stream().to_string().replace(' ', "") == "#[cfg(not(target_arch=\"wasm32\"))]"
    })
}

fn derives_serialize(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive")
            && a.parse_args_with(syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .map(|ps| ps.iter().any(|p| p.segments.last().is_some_and(|s| s.ident == "Serialize")))
                .unwrap_or(false)
    })
}

/// `serialize_str`/`collect_str` -> a string; `self.field.serialize(s)` -> that field.
fn manual_serialize(imp: &syn::ItemImpl) -> Option<Def> {
    let f = imp.items.iter().find_map(|i| match i {
        syn::ImplItem::Fn(f) if f.sig.ident == "serialize" => Some(f),
        _ => None,
    })?;
    let body = f.block.to_token_stream().to_string().replace(' ', "");
    if body.contains("serialize_str") || body.contains("collect_str") {
        return Some(Def::Str);
    }
    if let [syn::Stmt::Expr(syn::Expr::MethodCall(mc), None)] = f.block.stmts.as_slice() {
        if let syn::Expr::Field(field) = &*mc.receiver {
            if let (syn::Expr::Path(base), syn::Member::Named(m)) = (&*field.base, &field.member) {
                if mc.method == "serialize" && base.path.is_ident("self") {
                    return Some(Def::AsField(m.to_string()));
                }
            }
        }
    }
    None
}

fn docs(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &a.meta {
            if let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value {
                let v = s.value();
                lines.push(v.strip_prefix(' ').unwrap_or(&v).to_string());
            }
        }
    }
    lines.join("\n").trim().to_string()
}

fn jsdoc(doc: &str, indent: &str) -> String {
    if doc.is_empty() {
        return String::new();
    }
    let doc = doc.replace("*/", "*\\/");
    let mut s = format!("{indent}/**\n");
    for line in doc.lines() {
        let _ = writeln!(s, "{indent} * {line}");
    }
    let _ = writeln!(s, "{indent} */");
    s
}

fn first_ident_after_attrs(tokens: proc_macro2::TokenStream) -> Option<String> {
    let mut it = tokens.into_iter().peekable();
    while let Some(t) = it.next() {
        match t {
            // `#[...]`, including the doc comments a macro invocation carries.
            proc_macro2::TokenTree::Punct(p) if p.as_char() == '#' => {
                it.next();
            }
            proc_macro2::TokenTree::Ident(i) => return Some(i.to_string()),
            _ => return None,
        }
    }
    None
}

/// The fields a `record!(Type { "json" field default, ... })` invocation reads with
/// `default`, as `(Type, field)`.
fn record_defaults(tokens: proc_macro2::TokenStream) -> Vec<(String, String)> {
    use proc_macro2::TokenTree;
    let mut out = Vec::new();
    let mut it = tokens.into_iter();
    let Some(TokenTree::Ident(ty)) = it.next() else { return out };
    let Some(body) = it.find_map(|t| match t {
        TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace => Some(g.stream()),
        _ => None,
    }) else {
        return out;
    };
    let toks: Vec<TokenTree> = body.into_iter().collect();
    for w in toks.windows(3) {
        if let [TokenTree::Literal(_), TokenTree::Ident(field), TokenTree::Ident(d)] = w {
            if d == "default" {
                out.push((ty.to_string(), field.to_string()));
            }
        }
    }
    out
}

/// One field of a `request!` or `response!` declaration: `/// doc "JsonName" field: Type`.
struct VendorField {
    attrs: Vec<Attribute>,
    json: syn::LitStr,
    ident: syn::Ident,
    ty: Type,
}

impl syn::parse::Parse for VendorField {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let json = input.parse()?;
        let ident = input.parse()?;
        input.parse::<syn::Token![:]>()?;
        let ty = input.parse()?;
        Ok(VendorField { attrs, json, ident, ty })
    }
}

fn vendor_fields(input: syn::parse::ParseStream<'_>) -> syn::Result<Vec<VendorField>> {
    let body;
    syn::braced!(body in input);
    Ok(body.parse_terminated(<VendorField as syn::parse::Parse>::parse, syn::Token![,])?.into_iter().collect())
}

/// The struct a `request!` or `response!` invocation declares, with the serde attributes
/// its JSON form has: each field under its vendor name; a response leaves out an absent
/// optional field, a request's optional fields may be absent.
fn vendor_struct(tokens: proc_macro2::TokenStream, request: bool) -> Result<syn::ItemStruct, GenError> {
    let parser = |input: syn::parse::ParseStream<'_>| -> syn::Result<syn::ItemStruct> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: syn::Visibility = input.parse()?;
        input.parse::<syn::Token![struct]>()?;
        let ident: syn::Ident = input.parse()?;
        let generics: syn::Generics = input.parse()?;
        let (required, optional) = if request {
            let body;
            syn::braced!(body in input);
            body.parse::<syn::Ident>()?;
            let required = vendor_fields(&body)?;
            body.parse::<syn::Ident>()?;
            (required, vendor_fields(&body)?)
        } else {
            (vendor_fields(input)?, Vec::new())
        };
        let mut fields = Vec::new();
        let field = |f: VendorField, optional: bool| -> String {
            let docs: String = f.attrs.iter().map(|a| a.to_token_stream().to_string()).collect();
            let json = f.json.value();
            let ty = f.ty.to_token_stream().to_string();
            let response_option = !request && ty.starts_with("Option <");
            match (optional, response_option) {
                (true, _) => format!(
                    "{docs} #[serde(rename = \"{json}\", default, skip_serializing_if = \"Option::is_none\")] pub {}: Option<{ty}>",
                    f.ident
                ),
                (false, true) => {
                    format!("{docs} #[serde(rename = \"{json}\", skip_serializing_if = \"Option::is_none\")] pub {}: {ty}", f.ident)
                }
                (false, false) => format!("{docs} #[serde(rename = \"{json}\")] pub {}: {ty}", f.ident),
            }
        };
        fields.extend(required.into_iter().map(|f| field(f, false)));
        fields.extend(optional.into_iter().map(|f| field(f, true)));
        let docs: String = attrs.iter().map(|a| a.to_token_stream().to_string()).collect();
        let text = format!(
            "{docs} #[derive(Serialize)] {} struct {ident}{} {{ {} }}",
            vis.to_token_stream(),
            generics.to_token_stream(),
            fields.join(", ")
        );
        syn::parse_str(&text)
    };
    syn::parse::Parser::parse2(parser, tokens).map_err(|e| format!("a request! or response! declaration: {e}"))
}
