package reporting

// Requirement is one item a report must contain.
type Requirement struct {
	Item  string `json:"item"`
	Basis string `json:"basis"`
	// WhereApplicable marks items the Regulation asks for only where
	// applicable or available.
	WhereApplicable bool `json:"where_applicable,omitempty"`
}

// Contents lists what a stage's report must contain (Art. 14(2) and (4)),
// paraphrased; the drafts a case produces fill these items.
func Contents(k Kind, s Stage) []Requirement {
	switch k {
	case Vulnerability:
		switch s {
		case EarlyWarning:
			return []Requirement{
				{"The actively exploited vulnerability, reported without undue delay", "Art. 14(2)(a)", false},
				{"The Member States on whose territory the manufacturer knows the product has been made available", "Art. 14(2)(a)", true},
			}
		case Notification:
			return []Requirement{
				{"General information about the product with digital elements concerned", "Art. 14(2)(b)", true},
				{"The general nature of the exploit and of the vulnerability concerned", "Art. 14(2)(b)", false},
				{"Corrective or mitigating measures taken", "Art. 14(2)(b)", false},
				{"Corrective or mitigating measures users can take", "Art. 14(2)(b)", false},
				{"How sensitive the manufacturer considers the notified information", "Art. 14(2)(b)", true},
			}
		case FinalReport:
			return []Requirement{
				{"A description of the vulnerability, including its severity and impact", "Art. 14(2)(c)(i)", false},
				{"Information concerning any malicious actor that exploited or exploits the vulnerability", "Art. 14(2)(c)(ii)", true},
				{"Details of the security update or other corrective measures made available to remedy the vulnerability", "Art. 14(2)(c)(iii)", false},
			}
		}
	case Incident:
		switch s {
		case EarlyWarning:
			return []Requirement{
				{"Whether the incident is suspected of being caused by unlawful or malicious acts", "Art. 14(4)(a)", false},
				{"The Member States on whose territory the manufacturer knows the product has been made available", "Art. 14(4)(a)", true},
			}
		case Notification:
			return []Requirement{
				{"General information about the nature of the incident", "Art. 14(4)(b)", true},
				{"An initial assessment of the incident", "Art. 14(4)(b)", false},
				{"Corrective or mitigating measures taken", "Art. 14(4)(b)", false},
				{"Corrective or mitigating measures users can take", "Art. 14(4)(b)", false},
				{"How sensitive the manufacturer considers the notified information", "Art. 14(4)(b)", true},
			}
		case FinalReport:
			return []Requirement{
				{"A detailed description of the incident, including its severity and impact", "Art. 14(4)(c)(i)", false},
				{"The type of threat or root cause that is likely to have triggered the incident", "Art. 14(4)(c)(ii)", false},
				{"Applied and ongoing mitigation measures", "Art. 14(4)(c)(iii)", false},
			}
		}
	}
	return nil
}
