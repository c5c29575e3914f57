import Foundation
import TestSupport

/// |a − b| ≤ rel·max(|a|, |b|) + abs.
func near(_ a: Double, _ b: Double, rel: Double = 1e-12, abs: Double = 0) -> Bool {
    Swift.abs(a - b) <= rel * max(Swift.abs(a), Swift.abs(b)) + abs
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
