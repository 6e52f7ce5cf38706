//! Print a generated program for a seed: `cargo run -p fuzzgen --example sample SEED [escape]`.

fn main() {
    let seed: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut s = seed;
    let data: Vec<u8> = (0..4096)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect();
    if std::env::args().nth(2).as_deref() == Some("escape") {
        fuzzgen::escape::print_sample(&data);
        return;
    }
    let mut u = arbitrary::Unstructured::new(&data);
    let p = fuzzgen::gen::generate(&mut u).unwrap();
    println!("{}", p.text);
}
