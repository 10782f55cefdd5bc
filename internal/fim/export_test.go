package fim

// For the external tests of this package.
var (
	SampleReport = sampleReport
	SampleShow   = sampleShow
)
