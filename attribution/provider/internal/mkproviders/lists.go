package main

// list is one list of ranges.txt: what hostwatch says of the addresses of
// one or more of cdncheck's lists.
type list struct {
	id       string // short name in ranges.txt
	provider string
	kind     string
	cdnName  string   // "" unless the addresses are CDN or WAF edges
	from     []string // cdncheck's lists, as category.name
	// yields names lists that win over this one wherever both hold an
	// address, however specific this one's prefix.
	yields []string
	note   string // why, where hostwatch departs from cdncheck
}

// lists maps every list of cdncheck's sources_data.json to hostwatch's
// terms, in precedence order: where two lists hold an address with
// prefixes of the same length, the one earlier here wins. A cdncheck list
// not named here stops the generator, so that a new one gets a decision.
//
// Where hostwatch departs from cdncheck, note says why. The rule above all:
// never call a cloud or hosting server a CDN edge. When in doubt a list is
// not a CDN.
func lists() []list {
	return []list{
		{id: "google-cloud", provider: "Google Cloud", kind: "cloud", from: []string{"cloud.google"},
			note: "Google's cloud.json: Google Cloud's customer ranges"},
		{id: "cloudfront", provider: "Amazon Web Services", kind: "cdn", cdnName: "Amazon CloudFront", from: []string{"cdn.cloudfront"},
			note: "CloudFront's edge list; every range is inside cloud.aws too and wins there at equal length"},
		{id: "cloudflare", provider: "Cloudflare", kind: "cdn", cdnName: "Cloudflare", from: []string{"waf.cloudflare"}},
		{id: "fastly", provider: "Fastly", kind: "cdn", cdnName: "Fastly", from: []string{"cdn.fastly"}},
		{id: "imperva", provider: "Imperva", kind: "cdn", cdnName: "Imperva Incapsula", from: []string{"waf.incapsula"}},
		{id: "gcore", provider: "Gcore", kind: "cdn", cdnName: "Gcore CDN", from: []string{"cdn.gcore"},
			note: "Gcore's published CDN edge list"},
		{id: "arvancloud", provider: "ArvanCloud", kind: "cdn", cdnName: "ArvanCloud", from: []string{"cdn.arvancloud", "waf.arvancloud", "cloud.arvancloud"},
			note: "cdncheck has the same ten ranges in its cdn, waf and cloud lists; ArvanCloud's ips.txt lists its CDN edges"},
		{id: "cdnetworks", provider: "CDNetworks", kind: "cdn", cdnName: "CDNetworks", from: []string{"cdn.cdnetworks"}},
		{id: "gocache", provider: "GoCache", kind: "cdn", cdnName: "GoCache", from: []string{"cdn.gocache"},
			note: "some are single addresses inside AWS, Google Cloud and Oracle Cloud: GoCache edges on cloud servers, which the longer prefix makes CDN"},
		{id: "qrator", provider: "Qrator Labs", kind: "cdn", cdnName: "Qrator", from: []string{"cdn.qrator"}},
		{id: "yundun", provider: "Yundun", kind: "cdn", cdnName: "Yundun CDN (云盾)", from: []string{"cdn.云盾"}},
		{id: "jiasule", provider: "Knownsec", kind: "cdn", cdnName: "Jiasule (加速乐)", from: []string{"cdn.加速乐"}},
		{id: "baidu-yunjiasu", provider: "Baidu AI Cloud", kind: "cdn", cdnName: "Baidu Yunjiasu (百度云加速)", from: []string{"cdn.百度云加速"}},
		{id: "tencent-cdn", provider: "Tencent Cloud", kind: "cdn", cdnName: "Tencent Cloud CDN", from: []string{"cdn.腾讯云"}},
		{id: "microsoft-365", provider: "Microsoft", kind: "service", from: []string{"cloud.office365"},
			note: "Microsoft 365 endpoints: Microsoft's own services, not rentable servers"},
		{id: "zscaler", provider: "Zscaler", kind: "service", from: []string{"cloud.zscaler"},
			note: "Zscaler's enforcement nodes: a security proxy for its customers' users, not where sites are hosted"},
		{id: "aws", provider: "Amazon Web Services", kind: "cloud", from: []string{"cloud.aws"}},
		{id: "azure", provider: "Microsoft Azure", kind: "cloud", from: []string{"cloud.azure"}, yields: []string{"microsoft-365"},
			note: "all Azure service tags without their names, so Azure Front Door edges cannot be told apart here (the Azure feed, ParseAzure, can); the tags include Microsoft's own services, such as Exchange Online Protection, in small prefixes inside Microsoft 365's ranges, so microsoft-365 wins wherever both hold an address"},
		{id: "oracle", provider: "Oracle Cloud", kind: "cloud", from: []string{"cloud.oracle"}},
		{id: "navercloud", provider: "Naver Cloud", kind: "cloud", from: []string{"cloud.navercloud"}},
		{id: "nhncloud", provider: "NHN Cloud", kind: "cloud", from: []string{"cloud.nhncloud"}},
		{id: "ktcloud", provider: "KT Cloud", kind: "cloud", from: []string{"cloud.ktcloud"}},
		{id: "gabia", provider: "Gabia", kind: "hosting", from: []string{"cloud.gabia"}},
		{id: "hostway", provider: "Hostway", kind: "hosting", from: []string{"cloud.hostway"}},
		{id: "cafe24", provider: "Cafe24", kind: "hosting", from: []string{"cdn.cafe24"},
			note: "cdncheck calls it a CDN, but 14.128.128.0/17 is Cafe24's web-hosting block: its customers' servers are not CDN edges"},
		{id: "kinx", provider: "KINX", kind: "hosting", from: []string{"cdn.kinx"},
			note: "cdncheck calls it a CDN, but these are whole blocks of KINX, a data-centre and hosting operator"},
		{id: "skbroadband", provider: "SK Broadband", kind: "isp", from: []string{"cdn.skbroadband"},
			note: "cdncheck calls it a CDN; these are whole blocks of an ISP, with nothing to say which addresses are edges"},
		{id: "lgtelecom", provider: "LG Uplus", kind: "isp", from: []string{"cdn.lgtelecom"},
			note: "cdncheck calls it a CDN; these are whole blocks of an ISP, with nothing to say which addresses are edges"},
		{id: "google", provider: "Google", kind: "service", from: []string{"cdn.google"}, yields: []string{"google-cloud"},
			note: "cdncheck's google CDN list is Google's goog.json, which holds Google Cloud's ranges too; Google says its own services are goog.json minus cloud.json, so google-cloud wins wherever both hold an address, and the rest is Google's services (Search, Gmail, YouTube, Public DNS, front ends), not a CDN"},
	}
}
