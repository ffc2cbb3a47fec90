# meta-vvehicle: the kernel of a virtual vehicle must show QEMU's fw_cfg in sysfs, where the vehicle's
# identity arrives as systemd credentials. The fragment is applied only when the build requires
# conf/include/vvehicle.inc (which sets VVEHICLE_KERNEL_FW_CFG): adding the layer alone changes no kernel.
FILESEXTRAPATHS:prepend := "${THISDIR}/files:"
SRC_URI:append = "${@' file://vvehicle-fw-cfg.cfg' if bb.utils.to_boolean(d.getVar('VVEHICLE_KERNEL_FW_CFG') or '0') else ''}"
