# vm/part/story.c: the stage banners and verdict lines, over a fake PCI bus and a config built here.
UNIT_TESTS += test_story
test_story_SRCS := tests/unit/vm/test_story.c vm/part/story.c pci/pci_enum.c pci/pci_bar.c pci/pci_cap.c pci/pci_acs.c kernel/log.c kernel/fmt.c kernel/lib.c kernel/err.c tests/fakes/fake_pci.c tests/fakes/fake_log.c
$(HOST)/test_story: $(wildcard vm/part/*.h vm/config/*.h pci/*.h tests/unit/pci/*.h)
