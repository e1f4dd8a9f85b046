//go:build !race

package password

const raceBuild = false
