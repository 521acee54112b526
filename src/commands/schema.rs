//! The fields of a Search index, for `FT.CREATE ... SCHEMA` and
//! `FT.ALTER ... SCHEMA ADD`: a typed builder in place of the server's
//! word list.
//!
//! Each field starts with its kind ([`Schema::text`], [`Schema::tag`],
//! [`Schema::numeric`], [`Schema::geo`], [`Schema::geoshape`],
//! [`Schema::vector`]); the methods that follow set that field's options,
//! and only the options its kind has exist (a `weight` on a tag field does
//! not compile). Starting the next field, or passing the builder to the
//! command, ends the field.
//!
//! ```no_run
//! # async fn demo(client: respec::Client) -> respec::Result<()> {
//! use respec::commands::schema::{Distance, Hnsw, Schema, VectorType};
//! use respec::prelude::*;
//!
//! let schema = Schema::new()
//!     .text("title").weight(2.0).sortable()
//!     .tag("tags").separator(',')
//!     .numeric("price").sortable()
//!     .geo("location")
//!     .vector("embedding", Hnsw, VectorType::Float32, 128, Distance::Cosine).m(16);
//! client.ft_create("products", schema).prefix(["product:"]).await?;
//! # Ok(()) }
//! ```
//!
//! For a JSON index the field's identifier is a JSON path and
//! [`alias`](FieldBuilder::alias) names the attribute queries use
//! (`$.title AS title`).

use std::marker::PhantomData;

use crate::commands::support::{ArgWriter, Value, WriteArgs};

/// The fields of an index, in the order the server is given them.
///
/// An empty schema is refused before anything is sent (the server needs at
/// least one field).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    fields: Vec<Field>,
}

/// One field: identifier, attribute name, kind and the options every kind
/// shares.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    identifier: Value,
    alias: Option<Value>,
    kind: Kind,
    index_empty: bool,
    index_missing: bool,
    /// `SORTABLE`, and whether `UNF` follows.
    sortable: Option<bool>,
    no_index: bool,
    /// An option the server would refuse, found while building.
    error: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text {
        no_stem: bool,
        weight: Option<f64>,
        phonetic: Option<Value>,
        suffix_trie: bool,
    },
    Tag {
        separator: Option<char>,
        case_sensitive: bool,
        suffix_trie: bool,
    },
    Numeric,
    Geo,
    GeoShape {
        coord_system: Option<CoordSystem>,
    },
    Vector {
        algorithm: &'static str,
        ty: VectorType,
        dim: u32,
        distance: Distance,
        /// Further attributes, each a token and its value.
        options: Vec<(&'static str, Value)>,
    },
}

/// The kind of a text field (`TEXT`), for [`FieldBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct Text;
/// The kind of a tag field (`TAG`), for [`FieldBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct Tag;
/// The kind of a numeric field (`NUMERIC`), for [`FieldBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct Numeric;
/// The kind of a geographic point field (`GEO`), for [`FieldBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct Geo;
/// The kind of a geometry field (`GEOSHAPE`), for [`FieldBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct GeoShape;
/// The kind of a vector field (`VECTOR`) indexed by algorithm `A`
/// ([`Hnsw`] or [`Flat`]), for [`FieldBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct Vector<A>(PhantomData<A>);

/// The `HNSW` vector index: approximate nearest neighbours in a graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hnsw;
/// The `FLAT` vector index: exact, brute-force search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flat;

/// A vector index algorithm: [`Hnsw`] or [`Flat`]. Each has options of its
/// own on [`FieldBuilder`].
pub trait VectorAlgorithm: sealed::Sealed {
    /// The server's word for it.
    const TOKEN: &'static str;
}
impl VectorAlgorithm for Hnsw {
    const TOKEN: &'static str = "HNSW";
}
impl VectorAlgorithm for Flat {
    const TOKEN: &'static str = "FLAT";
}

/// Kinds that may be `SORTABLE` (and then `NOINDEX`).
pub trait Sortable: sealed::Sealed {}
impl Sortable for Text {}
impl Sortable for Tag {}
impl Sortable for Numeric {}
impl Sortable for Geo {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Hnsw {}
    impl Sealed for super::Flat {}
    impl Sealed for super::Text {}
    impl Sealed for super::Tag {}
    impl Sealed for super::Numeric {}
    impl Sealed for super::Geo {}
}

/// The element type of a vector field (`TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorType {
    /// `FLOAT32`: 4-byte IEEE floats.
    Float32,
    /// `FLOAT64`: 8-byte IEEE floats.
    Float64,
    /// `BFLOAT16`: 2-byte brain floats.
    BFloat16,
    /// `FLOAT16`: 2-byte IEEE half floats.
    Float16,
}

impl VectorType {
    fn token(self) -> &'static str {
        match self {
            VectorType::Float32 => "FLOAT32",
            VectorType::Float64 => "FLOAT64",
            VectorType::BFloat16 => "BFLOAT16",
            VectorType::Float16 => "FLOAT16",
        }
    }
}

/// The distance a vector field's queries rank by (`DISTANCE_METRIC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// `L2`: Euclidean distance.
    L2,
    /// `IP`: inner product.
    Ip,
    /// `COSINE`: cosine distance.
    Cosine,
}

impl Distance {
    fn token(self) -> &'static str {
        match self {
            Distance::L2 => "L2",
            Distance::Ip => "IP",
            Distance::Cosine => "COSINE",
        }
    }
}

/// The coordinates of a `GEOSHAPE` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordSystem {
    /// `SPHERICAL`: longitude and latitude (the server's default).
    Spherical,
    /// `FLAT`: Cartesian X and Y.
    Flat,
}

impl Schema {
    /// No fields yet.
    pub fn new() -> Self {
        Schema::default()
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no field was added.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn start<K>(mut self, identifier: impl Into<Value>, kind: Kind) -> FieldBuilder<K> {
        let field = Field {
            identifier: identifier.into(),
            alias: None,
            kind,
            index_empty: false,
            index_missing: false,
            sortable: None,
            no_index: false,
            error: None,
        };
        self.fields.push(field);
        FieldBuilder {
            schema: self,
            kind: PhantomData,
        }
    }

    /// A full-text field (`identifier TEXT`).
    pub fn text(self, identifier: impl Into<Value>) -> FieldBuilder<Text> {
        self.start(
            identifier,
            Kind::Text {
                no_stem: false,
                weight: None,
                phonetic: None,
                suffix_trie: false,
            },
        )
    }

    /// A tag field (`identifier TAG`): exact-match values, split at a
    /// separator (`,` unless [`separator`](FieldBuilder::separator) says
    /// otherwise).
    pub fn tag(self, identifier: impl Into<Value>) -> FieldBuilder<Tag> {
        self.start(
            identifier,
            Kind::Tag {
                separator: None,
                case_sensitive: false,
                suffix_trie: false,
            },
        )
    }

    /// A numeric field (`identifier NUMERIC`), for range filters.
    pub fn numeric(self, identifier: impl Into<Value>) -> FieldBuilder<Numeric> {
        self.start(identifier, Kind::Numeric)
    }

    /// A geographic point field (`identifier GEO`, values `lon,lat`).
    pub fn geo(self, identifier: impl Into<Value>) -> FieldBuilder<Geo> {
        self.start(identifier, Kind::Geo)
    }

    /// A geometry field (`identifier GEOSHAPE`, values in WKT).
    pub fn geoshape(self, identifier: impl Into<Value>) -> FieldBuilder<GeoShape> {
        self.start(identifier, Kind::GeoShape { coord_system: None })
    }

    /// A vector field (`identifier VECTOR HNSW|FLAT count TYPE type DIM dim
    /// DISTANCE_METRIC distance ...`); the count of attributes is written
    /// for you. `dim` is the number of elements of each vector.
    pub fn vector<A: VectorAlgorithm>(
        self,
        identifier: impl Into<Value>,
        algorithm: A,
        ty: VectorType,
        dim: u32,
        distance: Distance,
    ) -> FieldBuilder<Vector<A>> {
        let _ = algorithm;
        self.start(
            identifier,
            Kind::Vector {
                algorithm: A::TOKEN,
                ty,
                dim,
                distance,
                options: Vec::new(),
            },
        )
    }
}

/// A [`Schema`] whose last field, of kind `K`, takes options. Start the
/// next field with the same methods as on [`Schema`]; pass it where a
/// `Schema` is wanted (it converts), or call [`build`](Self::build).
#[derive(Debug, Clone)]
#[must_use = "a field builder does nothing until the schema is given to a command"]
pub struct FieldBuilder<K> {
    schema: Schema,
    kind: PhantomData<K>,
}

impl<K> FieldBuilder<K> {
    fn field(&mut self) -> &mut Field {
        self.schema
            .fields
            .last_mut()
            .expect("a field builder always has its field")
    }

    /// `AS attribute`: the name queries use for the field (for a JSON
    /// index, whose identifier is a path, the usual way to name it).
    pub fn alias(mut self, attribute: impl Into<Value>) -> Self {
        self.field().alias = Some(attribute.into());
        self
    }

    /// `INDEXMISSING`: documents without the field can be found with
    /// `ismissing(@field)`.
    pub fn indexmissing(mut self) -> Self {
        self.field().index_missing = true;
        self
    }

    /// The schema so far, this field included.
    pub fn build(self) -> Schema {
        self.schema
    }

    /// Ends this field and starts a text field (see [`Schema::text`]).
    pub fn text(self, identifier: impl Into<Value>) -> FieldBuilder<Text> {
        self.schema.text(identifier)
    }

    /// Ends this field and starts a tag field (see [`Schema::tag`]).
    pub fn tag(self, identifier: impl Into<Value>) -> FieldBuilder<Tag> {
        self.schema.tag(identifier)
    }

    /// Ends this field and starts a numeric field (see [`Schema::numeric`]).
    pub fn numeric(self, identifier: impl Into<Value>) -> FieldBuilder<Numeric> {
        self.schema.numeric(identifier)
    }

    /// Ends this field and starts a geographic point field (see
    /// [`Schema::geo`]).
    pub fn geo(self, identifier: impl Into<Value>) -> FieldBuilder<Geo> {
        self.schema.geo(identifier)
    }

    /// Ends this field and starts a geometry field (see
    /// [`Schema::geoshape`]).
    pub fn geoshape(self, identifier: impl Into<Value>) -> FieldBuilder<GeoShape> {
        self.schema.geoshape(identifier)
    }

    /// Ends this field and starts a vector field (see [`Schema::vector`]).
    pub fn vector<A: VectorAlgorithm>(
        self,
        identifier: impl Into<Value>,
        algorithm: A,
        ty: VectorType,
        dim: u32,
        distance: Distance,
    ) -> FieldBuilder<Vector<A>> {
        self.schema.vector(identifier, algorithm, ty, dim, distance)
    }
}

impl<K: Sortable> FieldBuilder<K> {
    /// `SORTABLE`: the field can sort results (`SORTBY`) and be loaded
    /// fast in aggregations.
    pub fn sortable(mut self) -> Self {
        let f = self.field();
        f.sortable = Some(f.sortable.unwrap_or(false));
        self
    }

    /// `SORTABLE UNF`: sortable, with the value kept as given (not
    /// lower-cased or normalized).
    pub fn unf(mut self) -> Self {
        self.field().sortable = Some(true);
        self
    }

    /// `NOINDEX`: not searchable, only sortable (implies
    /// [`sortable`](Self::sortable)).
    pub fn noindex(mut self) -> Self {
        let f = self.field();
        f.sortable = Some(f.sortable.unwrap_or(false));
        f.no_index = true;
        self
    }
}

/// Options of text and tag fields both.
macro_rules! text_and_tag {
    ($($kind:ident),*) => {$(
        impl FieldBuilder<$kind> {
            /// `WITHSUFFIXTRIE`: a suffix trie for faster contains and
            /// suffix queries (`*bar*`, `*bar`).
            pub fn withsuffixtrie(mut self) -> Self {
                if let Kind::$kind { suffix_trie, .. } = &mut self.field().kind {
                    *suffix_trie = true;
                }
                self
            }

            /// `INDEXEMPTY`: empty values are indexed and can be found
            /// (`@field:""`).
            pub fn indexempty(mut self) -> Self {
                self.field().index_empty = true;
                self
            }
        }
    )*};
}
text_and_tag!(Text, Tag);

impl FieldBuilder<Text> {
    /// `NOSTEM`: words are indexed as written, without stemming.
    pub fn nostem(mut self) -> Self {
        if let Kind::Text { no_stem, .. } = &mut self.field().kind {
            *no_stem = true;
        }
        self
    }

    /// `WEIGHT weight`: the field's importance in scoring (1 by default).
    pub fn weight(mut self, weight: f64) -> Self {
        let f = self.field();
        if !weight.is_finite() || weight < 0.0 {
            f.error
                .get_or_insert("`WEIGHT` is a finite number, 0 or more");
        }
        if let Kind::Text { weight: w, .. } = &mut f.kind {
            *w = Some(weight);
        }
        self
    }

    /// `PHONETIC matcher`: phonetic matching, with a matcher such as
    /// `dm:en` (Double Metaphone, English).
    pub fn phonetic(mut self, matcher: impl Into<Value>) -> Self {
        if let Kind::Text { phonetic, .. } = &mut self.field().kind {
            *phonetic = Some(matcher.into());
        }
        self
    }
}

impl FieldBuilder<Tag> {
    /// `SEPARATOR sep`: the character tag values are split at (`,` by
    /// default). It must be one ASCII character.
    pub fn separator(mut self, sep: char) -> Self {
        let f = self.field();
        if !sep.is_ascii() {
            f.error.get_or_insert("`SEPARATOR` is one ASCII character");
        }
        if let Kind::Tag { separator, .. } = &mut f.kind {
            *separator = Some(sep);
        }
        self
    }

    /// `CASESENSITIVE`: tags keep their case.
    pub fn casesensitive(mut self) -> Self {
        if let Kind::Tag { case_sensitive, .. } = &mut self.field().kind {
            *case_sensitive = true;
        }
        self
    }
}

impl FieldBuilder<GeoShape> {
    /// `SPHERICAL | FLAT`: the coordinate system of the shapes.
    pub fn coord_system(mut self, system: CoordSystem) -> Self {
        if let Kind::GeoShape { coord_system } = &mut self.field().kind {
            *coord_system = Some(system);
        }
        self
    }
}

impl<A: VectorAlgorithm> FieldBuilder<Vector<A>> {
    fn vector_option(mut self, token: &'static str, value: Value) -> Self {
        if let Kind::Vector { options, .. } = &mut self.field().kind {
            options.retain(|(t, _)| *t != token);
            options.push((token, value));
        }
        self
    }

    /// `INITIAL_CAP n`: room for this many vectors from the start.
    pub fn initial_cap(self, n: u64) -> Self {
        self.vector_option("INITIAL_CAP", Value::from(n))
    }
}

impl FieldBuilder<Vector<Flat>> {
    /// `BLOCK_SIZE n`: vectors held per memory block.
    pub fn block_size(self, n: u64) -> Self {
        self.vector_option("BLOCK_SIZE", Value::from(n))
    }
}

impl FieldBuilder<Vector<Hnsw>> {
    /// `M m`: the most outgoing edges a node of the graph keeps.
    pub fn m(self, m: u64) -> Self {
        self.vector_option("M", Value::from(m))
    }

    /// `EF_CONSTRUCTION n`: the candidates kept while building the graph.
    pub fn ef_construction(self, n: u64) -> Self {
        self.vector_option("EF_CONSTRUCTION", Value::from(n))
    }

    /// `EF_RUNTIME n`: the candidates kept while searching (the default
    /// of queries).
    pub fn ef_runtime(self, n: u64) -> Self {
        self.vector_option("EF_RUNTIME", Value::from(n))
    }

    /// `EPSILON e`: the range queries' boundary factor.
    pub fn epsilon(mut self, e: f64) -> Self {
        if !e.is_finite() || e <= 0.0 {
            self.field()
                .error
                .get_or_insert("`EPSILON` is a finite number above 0");
        }
        self.vector_option("EPSILON", Value::from(e))
    }
}

impl<K> From<FieldBuilder<K>> for Schema {
    fn from(b: FieldBuilder<K>) -> Self {
        b.schema
    }
}

impl WriteArgs for Schema {
    fn write_args(&self, w: &mut ArgWriter<'_>) {
        if self.fields.is_empty() {
            w.fail("a schema needs at least one field");
        }
        for f in &self.fields {
            if let Some(e) = f.error {
                w.fail(e);
            }
            f.write(w);
        }
    }
}

impl Field {
    fn write(&self, w: &mut ArgWriter<'_>) {
        w.arg(&self.identifier);
        if let Some(a) = &self.alias {
            w.token("AS").arg(a);
        }
        match &self.kind {
            Kind::Text {
                no_stem,
                weight,
                phonetic,
                suffix_trie,
            } => {
                w.token("TEXT");
                if *no_stem {
                    w.token("NOSTEM");
                }
                if let Some(x) = weight {
                    w.token("WEIGHT").arg(x);
                }
                if let Some(p) = phonetic {
                    w.token("PHONETIC").arg(p);
                }
                if *suffix_trie {
                    w.token("WITHSUFFIXTRIE");
                }
            }
            Kind::Tag {
                separator,
                case_sensitive,
                suffix_trie,
            } => {
                w.token("TAG");
                if let Some(c) = separator {
                    let mut utf8 = [0u8; 4];
                    let sep: &str = c.encode_utf8(&mut utf8);
                    w.token("SEPARATOR").arg(sep);
                }
                if *case_sensitive {
                    w.token("CASESENSITIVE");
                }
                if *suffix_trie {
                    w.token("WITHSUFFIXTRIE");
                }
            }
            Kind::Numeric => {
                w.token("NUMERIC");
            }
            Kind::Geo => {
                w.token("GEO");
            }
            Kind::GeoShape { coord_system } => {
                w.token("GEOSHAPE");
                match coord_system {
                    Some(CoordSystem::Spherical) => {
                        w.token("SPHERICAL");
                    }
                    Some(CoordSystem::Flat) => {
                        w.token("FLAT");
                    }
                    None => {}
                }
            }
            Kind::Vector {
                algorithm,
                ty,
                dim,
                distance,
                options,
            } => {
                w.token("VECTOR").token(algorithm);
                w.counted(|w| {
                    w.token("TYPE").token(ty.token());
                    w.token("DIM").arg(&(*dim as i64));
                    w.token("DISTANCE_METRIC").token(distance.token());
                    for (t, v) in options {
                        w.token(t).arg(v);
                    }
                });
            }
        }
        if self.index_empty {
            w.token("INDEXEMPTY");
        }
        if self.index_missing {
            w.token("INDEXMISSING");
        }
        if let Some(unf) = self.sortable {
            w.token("SORTABLE");
            if unf {
                w.token("UNF");
            }
        }
        if self.no_index {
            w.token("NOINDEX");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::support::Args;

    /// The arguments a schema writes, as text.
    fn words(schema: impl Into<Schema>) -> Result<Vec<String>, &'static str> {
        let schema = schema.into();
        let mut args = Args::<1>::new();
        args.set(0, |w| {
            w.value(&schema);
        });
        if let Some(e) = args.error() {
            return Err(e);
        }
        let mut out = bytes::BytesMut::new();
        args.encode(
            crate::commands::support::Head {
                words: 0,
                wire: b"",
            },
            &mut out,
        );
        Ok(crate::commands::support::split_encoded(&out)
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect())
    }

    #[test]
    fn fields_are_written_in_the_server_order() {
        let got = words(
            Schema::new()
                .text("title")
                .alias("t")
                .nostem()
                .weight(2.0)
                .phonetic("dm:en")
                .withsuffixtrie()
                .indexempty()
                .indexmissing()
                .unf()
                .noindex()
                .tag("tags")
                .separator(';')
                .casesensitive()
                .numeric("n")
                .geo("g")
                .sortable()
                .geoshape("s")
                .coord_system(CoordSystem::Spherical),
        )
        .unwrap();
        assert_eq!(
            got.join(" "),
            "title AS t TEXT NOSTEM WEIGHT 2 PHONETIC dm:en WITHSUFFIXTRIE INDEXEMPTY \
             INDEXMISSING SORTABLE UNF NOINDEX tags TAG SEPARATOR ; CASESENSITIVE n NUMERIC \
             g GEO SORTABLE s GEOSHAPE SPHERICAL"
        );
    }

    #[test]
    fn a_vector_field_counts_its_attributes() {
        let got = words(
            Schema::new()
                .vector("v", Hnsw, VectorType::Float32, 8, Distance::Cosine)
                .m(4)
                .m(6)
                .epsilon(0.5)
                .vector("f", Flat, VectorType::BFloat16, 2, Distance::Ip),
        )
        .unwrap();
        assert_eq!(
            got.join(" "),
            "v VECTOR HNSW 10 TYPE FLOAT32 DIM 8 DISTANCE_METRIC COSINE M 6 EPSILON 0.5 \
             f VECTOR FLAT 6 TYPE BFLOAT16 DIM 2 DISTANCE_METRIC IP"
        );
    }

    #[test]
    fn what_the_server_would_refuse_is_an_error() {
        assert!(words(Schema::new())
            .unwrap_err()
            .contains("at least one field"));
        assert!(words(Schema::new().tag("t").separator('→'))
            .unwrap_err()
            .contains("SEPARATOR"));
        assert!(words(Schema::new().text("t").weight(-1.0))
            .unwrap_err()
            .contains("WEIGHT"));
    }
}
