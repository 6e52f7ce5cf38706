//! Float instructions, differentially against the interpreter, and fma against the host's
//! correctly rounded `mul_add`.

use crate::harness::{build, float_samples, int_samples, Rng};
use cranelift_codegen::data_value::DataValue;
use cranelift_codegen::ir::types::{self, Type};

const FLOATS: [Type; 2] = [types::F32, types::F64];
const INTS: [Type; 4] = [types::I8, types::I16, types::I32, types::I64];

#[test]
fn arithmetic() {
    let binary = ["fadd", "fsub", "fmul", "fdiv", "fmin", "fmax", "fcopysign"];
    let unary = ["sqrt", "fabs", "fneg", "ceil", "floor", "trunc", "nearest"];
    let mut rng = Rng::new(31);
    for ty in FLOATS {
        let mut text: String = binary
            .iter()
            .map(|op| format!("function %{op}({ty}, {ty}) -> {ty} {{\nblock0(v0: {ty}, v1: {ty}):\n    v2 = {op} v0, v1\n    return v2\n}}\n"))
            .collect();
        text.extend(unary.iter().map(|op| format!("function %{op}({ty}) -> {ty} {{\nblock0(v0: {ty}):\n    v1 = {op} v0\n    return v1\n}}\n")));
        let m = build(&text);
        let samples = float_samples(ty, &mut rng, 10);
        for a in &samples {
            for op in unary {
                m.agree(op, &[a.clone()]);
            }
            for b in &samples {
                for op in binary {
                    m.agree(op, &[a.clone(), b.clone()]);
                }
            }
        }
    }
}

#[test]
fn fcmp_every_condition() {
    let conds = [
        "ord", "uno", "eq", "ne", "one", "ueq", "lt", "le", "gt", "ge", "ult", "ule", "ugt", "uge",
    ];
    let mut rng = Rng::new(37);
    for ty in FLOATS {
        let text: String = conds
            .iter()
            .map(|c| format!("function %{c}({ty}, {ty}) -> i8 {{\nblock0(v0: {ty}, v1: {ty}):\n    v2 = fcmp {c} v0, v1\n    return v2\n}}\n"))
            .collect();
        let m = build(&text);
        let samples = float_samples(ty, &mut rng, 4);
        for a in &samples {
            for b in &samples {
                for c in conds {
                    m.agree(c, &[a.clone(), b.clone()]);
                }
            }
        }
    }
}

#[test]
fn float_to_int_trapping_and_saturating() {
    let mut rng = Rng::new(41);
    for fty in FLOATS {
        for ity in INTS {
            let ops = [
                "fcvt_to_sint",
                "fcvt_to_uint",
                "fcvt_to_sint_sat",
                "fcvt_to_uint_sat",
            ];
            let text: String = ops
                .iter()
                .map(|op| format!("function %{op}({fty}) -> {ity} {{\nblock0(v0: {fty}):\n    v1 = {op}.{ity} v0\n    return v1\n}}\n"))
                .collect();
            let m = build(&text);
            let mut samples = float_samples(fty, &mut rng, 20);
            // Values around each integer type's limits.
            for limit in [
                127.0f64, 128.0, 255.0, 256.0, 32767.0, 32768.0, 65535.0, 65536.0,
            ] {
                for v in [
                    limit - 0.5,
                    limit,
                    limit + 0.5,
                    -limit - 0.5,
                    -limit,
                    -limit - 1.0,
                ] {
                    samples.push(if fty == types::F32 {
                        DataValue::F32((v as f32).into())
                    } else {
                        DataValue::F64(v.into())
                    });
                }
            }
            for a in &samples {
                for op in ops {
                    m.agree(op, &[a.clone()]);
                }
            }
        }
    }
}

#[test]
fn int_to_float() {
    let mut rng = Rng::new(43);
    for fty in FLOATS {
        for ity in INTS {
            let text = format!(
                "function %s({ity}) -> {fty} {{\nblock0(v0: {ity}):\n    v1 = fcvt_from_sint.{fty} v0\n    return v1\n}}\n\
                 function %u({ity}) -> {fty} {{\nblock0(v0: {ity}):\n    v1 = fcvt_from_uint.{fty} v0\n    return v1\n}}\n"
            );
            let m = build(&text);
            for a in int_samples(ity, &mut rng, 30) {
                m.agree("s", &[a.clone()]);
                m.agree("u", &[a]);
            }
        }
    }
}

#[test]
fn promote_demote_and_bitcast() {
    let text = "function %promote(f32) -> f64 {\nblock0(v0: f32):\n    v1 = fpromote.f64 v0\n    return v1\n}\n\
                function %demote(f64) -> f32 {\nblock0(v0: f64):\n    v1 = fdemote.f32 v0\n    return v1\n}\n\
                function %f2i(f32) -> i32 {\nblock0(v0: f32):\n    v1 = bitcast.i32 v0\n    return v1\n}\n\
                function %i2f(i64) -> f64 {\nblock0(v0: i64):\n    v1 = bitcast.f64 v0\n    return v1\n}\n\
                function %bits(f64, f64) -> f64 {\nblock0(v0: f64, v1: f64):\n    v2 = bxor v0, v1\n    v3 = bnot v2\n    v4 = band v3, v0\n    v5 = bor v4, v1\n    return v5\n}\n";
    let m = build(text);
    let mut rng = Rng::new(47);
    for a in float_samples(types::F32, &mut rng, 30) {
        m.agree("promote", &[a.clone()]);
        m.agree("f2i", &[a]);
    }
    let f64s = float_samples(types::F64, &mut rng, 30);
    for a in &f64s {
        m.agree("demote", &[a.clone()]);
        m.agree("bits", &[a.clone(), f64s[3].clone()]);
    }
    for a in int_samples(types::I64, &mut rng, 30) {
        // Bit-exact, NaN payloads included.
        let bits = crate::harness::as_i64(&a) as u64;
        m.expect(
            "i2f",
            &[a],
            &[DataValue::F64(
                cranelift_codegen::ir::immediates::Ieee64::with_bits(bits),
            )],
        );
    }
}

/// A float with a random sign, a random mantissa and an exponent from `range`.
fn f64_in(rng: &mut Rng, range: std::ops::RangeInclusive<i32>) -> f64 {
    let span = (range.end() - range.start() + 1) as u64;
    let exp = range.start() + rng.below(span) as i32;
    let mant = rng.next() >> 12;
    let biased = (exp + 1023).clamp(0, 2046) as u64;
    f64::from_bits((rng.next() & (1 << 63)) | (biased << 52) | mant)
}

fn f32_in(rng: &mut Rng, range: std::ops::RangeInclusive<i32>) -> f32 {
    let span = (range.end() - range.start() + 1) as u64;
    let exp = range.start() + rng.below(span) as i32;
    let mant = (rng.next() >> 41) as u32;
    let biased = (exp + 127).clamp(0, 254) as u32;
    f32::from_bits(((rng.next() as u32) & (1 << 31)) | (biased << 23) | mant)
}

/// fma must round once. Inputs cover cancellation (c close to -a*b), subnormal and
/// overflowing results, zeros, infinities and NaNs; the reference is the host's `mul_add`.
#[test]
fn fma_is_correctly_rounded() {
    let text = "function %fma64(f64, f64, f64) -> f64 {\nblock0(v0: f64, v1: f64, v2: f64):\n    v3 = fma v0, v1, v2\n    return v3\n}\n\
                function %fma32(f32, f32, f32) -> f32 {\nblock0(v0: f32, v1: f32, v2: f32):\n    v3 = fma v0, v1, v2\n    return v3\n}\n";
    let m = build(text);
    let mut rng = Rng::new(53);
    let ranges = [-1074..=-1000, -600..=-500, -60..=60, 400..=520, 960..=1023];
    for i in 0..6000 {
        let ra = ranges[i % ranges.len()].clone();
        let rb = ranges[(i / 5) % ranges.len()].clone();
        let a = f64_in(&mut rng, ra);
        let b = f64_in(&mut rng, rb);
        let c = match i % 4 {
            0 => -(a * b) * (1.0 + (rng.below(5) as f64 - 2.0) * f64::EPSILON),
            1 => f64_in(&mut rng, -1074..=1023),
            2 => -(a * b),
            _ => f64::from_bits(rng.next()),
        };
        let expected = a.mul_add(b, c);
        m.expect(
            "fma64",
            &[
                DataValue::F64(a.into()),
                DataValue::F64(b.into()),
                DataValue::F64(c.into()),
            ],
            &[DataValue::F64(expected.into())],
        );
        let (x, y) = (f32_in(&mut rng, -149..=127), f32_in(&mut rng, -149..=127));
        let z = if i % 2 == 0 {
            -(x * y)
        } else {
            f32_in(&mut rng, -149..=127)
        };
        m.expect(
            "fma32",
            &[
                DataValue::F32(x.into()),
                DataValue::F32(y.into()),
                DataValue::F32(z.into()),
            ],
            &[DataValue::F32(x.mul_add(y, z).into())],
        );
    }
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
    ];
    for a in specials {
        for b in specials {
            for c in specials {
                let args = [
                    DataValue::F64(a.into()),
                    DataValue::F64(b.into()),
                    DataValue::F64(c.into()),
                ];
                m.expect("fma64", &args, &[DataValue::F64(a.mul_add(b, c).into())]);
                m.agree("fma64", &args);
                let (x, y, z) = (a as f32, b as f32, c as f32);
                let args = [
                    DataValue::F32(x.into()),
                    DataValue::F32(y.into()),
                    DataValue::F32(z.into()),
                ];
                m.expect("fma32", &args, &[DataValue::F32(x.mul_add(y, z).into())]);
            }
        }
    }
}
