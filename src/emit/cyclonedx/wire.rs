//! CycloneDX wire types for spec versions 1.5, 1.6 and 1.7, written by this
//! module as JSON (serde) and as XML ([`super::xml`]). Only the fields relgate
//! fills are modelled; the field order is the JSON key order, and the XML
//! writer follows each XSD's `sequence` order.

use serde::Serialize;

/// The document.
#[derive(Debug, Clone, Serialize)]
pub struct Bom {
    #[serde(rename = "bomFormat")]
    pub bom_format: &'static str,
    #[serde(rename = "specVersion")]
    pub spec_version: &'static str,
    pub version: u32,
    #[serde(rename = "serialNumber")]
    pub serial_number: String,
    pub metadata: Metadata,
    pub components: Vec<Component>,
    pub dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub compositions: Vec<Composition>,
}

/// `metadata`.
#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    pub timestamp: String,
    pub tools: Tools,
    pub component: Component,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<Organization>,
    pub properties: Vec<Property>,
}

/// `metadata.tools` in the object form (1.5+).
#[derive(Debug, Clone, Serialize)]
pub struct Tools {
    pub components: Vec<Component>,
}

/// A component.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Component {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<Organization>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<Organization>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub properties: Vec<Property>,
}

/// An organizational entity (`supplier`, `manufacturer`).
#[derive(Debug, Clone, Serialize)]
pub struct Organization {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub url: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<Contact>,
}

/// An organizational contact.
#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A hash.
#[derive(Debug, Clone, Serialize)]
pub struct Hash {
    pub alg: &'static str,
    pub content: String,
}

/// One entry of `licenses`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum LicenseChoice {
    /// An SPDX expression.
    Expression {
        expression: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        acknowledgement: Option<&'static str>,
    },
    /// A named license with its text.
    License { license: NamedLicense },
}

/// A license by name, with its text.
#[derive(Debug, Clone, Serialize)]
pub struct NamedLicense {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<&'static str>,
    pub text: AttachedText,
    pub properties: Vec<Property>,
}

/// Attached text.
#[derive(Debug, Clone, Serialize)]
pub struct AttachedText {
    #[serde(rename = "contentType")]
    pub content_type: &'static str,
    pub content: String,
}

/// An external reference.
#[derive(Debug, Clone, Serialize)]
pub struct ExternalReference {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hashes: Vec<Hash>,
}

/// A name–value property.
#[derive(Debug, Clone, Serialize)]
pub struct Property {
    pub name: String,
    pub value: String,
}

impl Property {
    /// A property.
    pub fn new(name: &str, value: &str) -> Property {
        Property {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// One `dependencies` entry.
#[derive(Debug, Clone, Serialize)]
pub struct Dependency {
    #[serde(rename = "ref")]
    pub dependency_ref: String,
    #[serde(rename = "dependsOn", skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

/// One `compositions` entry (completeness of the listed dependencies).
#[derive(Debug, Clone, Serialize)]
pub struct Composition {
    pub aggregate: &'static str,
    pub dependencies: Vec<String>,
}
