import Foundation

/// |a − b| ≤ rel·max(|a|, |b|) + abs.
func near(_ a: Double, _ b: Double, rel: Double = 1e-12, abs: Double = 0) -> Bool {
    Swift.abs(a - b) <= rel * max(Swift.abs(a), Swift.abs(b)) + abs
}

/// A small deterministic generator (SplitMix64) for randomised cross-checks.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// n! as a Double (exact up to 22!).
func factorial(_ n: Int) -> Double { n < 2 ? 1 : (2...n).reduce(1.0) { $0 * Double($1) } }

/// The binomial coefficient C(n, k) as a Double, by the multiplicative formula (exact for the
/// small n the tests use).
func binomial(_ n: Int, _ k: Int) -> Double {
    guard k >= 0, k <= n else { return 0 }
    var result = 1.0
    for i in 0..<min(k, n - k) { result = result * Double(n - i) / Double(i + 1) }
    return result.rounded()
}
