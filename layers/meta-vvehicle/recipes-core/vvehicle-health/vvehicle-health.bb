SUMMARY = "One-line boot health report of a virtual vehicle on the serial console"
DESCRIPTION = "A systemd unit that waits until boot has finished, then prints exactly one line \
'VVEHICLE-HEALTH {json}' (version, system state, failed units, uplink IPv4, payload unit states, \
connman presence) to the journal and the console, so a smoke test can judge the image without logging in. \
/etc/vvehicle-release names the image, its version and the configuration it was built from."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

SRC_URI = " \
    file://vvehicle-health \
    file://vvehicle-health.service \
    file://vvehicle-release \
"
# Releases before styhead unpack into WORKDIR and have no UNPACKDIR; from styhead on, bitbake.conf sets it
# (and S may no longer be WORKDIR): this form holds on both.
UNPACKDIR ??= "${WORKDIR}"
S = "${UNPACKDIR}"

inherit allarch systemd features_check
REQUIRED_DISTRO_FEATURES = "systemd"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    install -D -m 0755 ${UNPACKDIR}/vvehicle-health ${D}${sbindir}/vvehicle-health
    install -D -m 0644 ${UNPACKDIR}/vvehicle-health.service ${D}${systemd_system_unitdir}/vvehicle-health.service
    sed -i -e 's#@sbindir@#${sbindir}#g' ${D}${systemd_system_unitdir}/vvehicle-health.service
    install -D -m 0644 ${UNPACKDIR}/vvehicle-release ${D}${sysconfdir}/vvehicle-release
}

SYSTEMD_SERVICE:${PN} = "vvehicle-health.service"

FILES:${PN} = " \
    ${sbindir}/vvehicle-health \
    ${systemd_system_unitdir}/vvehicle-health.service \
    ${sysconfdir}/vvehicle-release \
"
# The report reads addresses with iproute2's "ip -4 -o addr"; systemctl comes with systemd.
RDEPENDS:${PN} = "iproute2-ip"
