SUMMARY = "systemd-networkd configuration of the vehicle uplink"
DESCRIPTION = "DHCP on en*/eth* with the lease kept on expiry (KeepConfiguration=dhcp), so UERANSIM's \
radio link over the uplink is not dropped when networkd would release the address. The 10- prefix \
makes it win over AGL's wired.network (networkd takes the first match in lexical order)."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

SRC_URI = "file://10-vvehicle-wired.network"
# Releases before styhead unpack into WORKDIR and have no UNPACKDIR; from styhead on, bitbake.conf sets it
# (and S may no longer be WORKDIR): this form holds on both.
UNPACKDIR ??= "${WORKDIR}"
S = "${UNPACKDIR}"

inherit allarch features_check
REQUIRED_DISTRO_FEATURES = "systemd"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -d ${D}${sysconfdir}/systemd/network
    install -m 0644 ${UNPACKDIR}/10-vvehicle-wired.network ${D}${sysconfdir}/systemd/network/
}

FILES:${PN} = "${sysconfdir}/systemd/network/10-vvehicle-wired.network"
