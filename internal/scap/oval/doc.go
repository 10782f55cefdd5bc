// Package oval reads OVAL 5.11 definitions and evaluates them against a
// target: criteria trees, tests with check and check_existence, objects with
// sets and filters, states with typed entity operations, and constant,
// external and local variables with their component functions.
//
// It is cradle's own engine because no maintained Go OVAL evaluator exists,
// and the reference C evaluator writes into the scanned root, needs D-Bus for
// some probes and fails silently on others. Collection is delegated to
// probes (see Probe and Registry) so the engine itself never touches the
// system; every read goes through internal/target. Each evaluation memoises
// objects, states, variables and tests, so a whole profile collects each
// object once, and Limits bound the work hostile content can cause.
package oval
