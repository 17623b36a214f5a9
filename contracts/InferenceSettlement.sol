// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {ModelRegistry} from "./ModelRegistry.sol";
import {Staking} from "./Staking.sol";

/// @title Payable AI: paying for an inference and splitting the fee by attribution
/// @notice `settle` takes a fee in native OPEN for an inference of a registered model, with the
/// response hash and the attribution (contributors and weights summing to WEIGHT_SCALE). The fee
/// is split by basis points into platform, model owner, stakers and data contributors, and the
/// contributors' part by weight. Everyone but the stakers is paid by pull (`claim`); the stakers'
/// share goes to Staking, which accrues it pro rata.
///
/// Integer math, conserving the fee to the wei:
///   modelAmount        = fee × modelOwnerBps   / 10000   (rounded down)
///   stakersAmount      = fee × stakersBps      / 10000   (rounded down; 0 when nothing is staked)
///   contributorsPart   = fee × contributorsBps / 10000   (rounded down)
///   contributor i gets   contributorsPart × weight_i / WEIGHT_SCALE (rounded down)
///   contributorsAmount = the sum of what the contributors got
///   platformAmount     = fee − modelAmount − stakersAmount − contributorsAmount
/// so the platform (the treasury) takes every rounding remainder, and the stakers' share too when
/// nothing is staked. Gas grows with the number of contributors paid, nothing else.
contract InferenceSettlement is AccessControl, ReentrancyGuard {
    /// @notice May change the split and the treasury.
    bytes32 public constant GOVERNANCE_ROLE = keccak256("GOVERNANCE_ROLE");

    uint256 public constant WEIGHT_SCALE = 1e18;
    uint16 public constant BPS_DENOMINATOR = 10_000;
    /// @notice Bounds the gas of one settlement.
    uint256 public constant MAX_CONTRIBUTORS = 256;

    ModelRegistry public immutable modelRegistry;
    Staking public immutable staking;
    /// @notice Receives the platform's share (by claim).
    address public treasury;

    uint16 public platformBps = 1000;
    uint16 public modelOwnerBps = 2000;
    uint16 public stakersBps = 2000;
    uint16 public contributorsBps = 5000;

    /// @notice Settlements so far; receipt ids run from 1 to receiptCount.
    uint256 public receiptCount;

    /// @dev Claimable balances, kept apart by where they came from so clients can show each.
    mapping(address => uint256) private _asContributor;
    mapping(address => uint256) private _asModelOwner;
    mapping(address => uint256) private _asPlatform;

    event InferenceSettled(
        uint256 indexed receiptId,
        uint256 indexed modelId,
        address indexed payer,
        bytes32 responseHash,
        uint256 fee,
        uint256 platformAmount,
        uint256 modelAmount,
        uint256 stakersAmount,
        uint256 contributorsAmount
    );
    event ContributorCredited(uint256 indexed receiptId, address indexed contributor, uint256 amount);
    event Claimed(address indexed account, uint256 amount);
    event SplitUpdated(uint16 platformBps, uint16 modelOwnerBps, uint16 stakersBps, uint16 contributorsBps);
    event TreasuryUpdated(address treasury);

    error ZeroAddress();
    error ZeroFee();
    error UnknownModel(uint256 modelId);
    error LengthMismatch(uint256 contributors, uint256 weights);
    error TooManyContributors(uint256 count, uint256 max);
    error ZeroContributor(uint256 index);
    /// @notice A weight is zero or larger than WEIGHT_SCALE.
    error BadWeight(uint256 index, uint256 weight);
    error WeightsNotWhole(uint256 sum, uint256 expected);
    error InvalidSplit(uint256 sum);
    error NothingToClaim();
    error EmptyBatch();
    error BatchValueMismatch(uint256 fees, uint256 value);

    /// @notice One inference to settle in `settleBatch`.
    struct Settlement {
        uint256 modelId;
        bytes32 responseHash;
        uint256 fee;
        address[] contributors;
        uint256[] weights;
    }

    constructor(address admin, address treasury_, ModelRegistry modelRegistry_, Staking staking_) {
        if (
            admin == address(0) || treasury_ == address(0) || address(modelRegistry_) == address(0)
                || address(staking_) == address(0)
        ) revert ZeroAddress();
        treasury = treasury_;
        modelRegistry = modelRegistry_;
        staking = staking_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNANCE_ROLE, admin);
    }

    /// @notice Pays msg.value for an inference of `modelId` and splits it (see the contract notes).
    function settle(uint256 modelId, bytes32 responseHash, address[] calldata contributors, uint256[] calldata weights)
        external
        payable
        nonReentrant
        returns (uint256 receiptId)
    {
        uint256 stakersAmount;
        (receiptId, stakersAmount) = _settle(modelId, responseHash, msg.value, contributors, weights);
        if (stakersAmount > 0) staking.distributeRewards{value: stakersAmount}();
    }

    /// @notice Settles several inferences in one transaction (a server batching its paid requests):
    /// each exactly as `settle` would, with its own receipt and events; `msg.value` must equal the
    /// sum of the fees. The stakers' shares go to Staking in one transfer.
    function settleBatch(Settlement[] calldata items) external payable nonReentrant returns (uint256 firstReceiptId) {
        if (items.length == 0) revert EmptyBatch();
        uint256 fees;
        for (uint256 i = 0; i < items.length; i++) fees += items[i].fee;
        if (fees != msg.value) revert BatchValueMismatch(fees, msg.value);
        firstReceiptId = receiptCount + 1;
        uint256 stakers;
        for (uint256 i = 0; i < items.length; i++) {
            Settlement calldata it = items[i];
            (, uint256 stakersAmount) = _settle(it.modelId, it.responseHash, it.fee, it.contributors, it.weights);
            stakers += stakersAmount;
        }
        if (stakers > 0) staking.distributeRewards{value: stakers}();
    }

    /// @dev Splits one fee and credits everyone but the stakers, whose share the caller forwards.
    function _settle(
        uint256 modelId,
        bytes32 responseHash,
        uint256 fee,
        address[] calldata contributors,
        uint256[] calldata weights
    ) private returns (uint256 receiptId, uint256 stakersAmount) {
        if (fee == 0) revert ZeroFee();
        address owner = modelRegistry.modelOwner(modelId);
        if (owner == address(0)) revert UnknownModel(modelId);
        _checkAttribution(contributors, weights);

        receiptId = ++receiptCount;
        uint256 modelAmount = (fee * modelOwnerBps) / BPS_DENOMINATOR;
        stakersAmount = staking.totalStaked() == 0 ? 0 : (fee * stakersBps) / BPS_DENOMINATOR;
        uint256 contributorsAmount =
            _creditContributors(receiptId, (fee * contributorsBps) / BPS_DENOMINATOR, contributors, weights);
        uint256 platformAmount = fee - modelAmount - stakersAmount - contributorsAmount;

        _asModelOwner[owner] += modelAmount;
        _asPlatform[treasury] += platformAmount;
        emit InferenceSettled(
            receiptId, modelId, msg.sender, responseHash, fee, platformAmount, modelAmount, stakersAmount, contributorsAmount
        );
    }

    /// @notice Pays out everything the sender can claim (as contributor, model owner and platform).
    function claim() external nonReentrant returns (uint256 amount) {
        amount = _asContributor[msg.sender] + _asModelOwner[msg.sender] + _asPlatform[msg.sender];
        if (amount == 0) revert NothingToClaim();
        delete _asContributor[msg.sender];
        delete _asModelOwner[msg.sender];
        delete _asPlatform[msg.sender];
        emit Claimed(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the four shares in basis points; they must add up to 10000.
    function setSplit(uint16 platformBps_, uint16 modelOwnerBps_, uint16 stakersBps_, uint16 contributorsBps_)
        external
        onlyRole(GOVERNANCE_ROLE)
    {
        uint256 sum = uint256(platformBps_) + modelOwnerBps_ + stakersBps_ + contributorsBps_;
        if (sum != BPS_DENOMINATOR) revert InvalidSplit(sum);
        platformBps = platformBps_;
        modelOwnerBps = modelOwnerBps_;
        stakersBps = stakersBps_;
        contributorsBps = contributorsBps_;
        emit SplitUpdated(platformBps_, modelOwnerBps_, stakersBps_, contributorsBps_);
    }

    /// @notice Future platform shares go to `treasury_`; what the old one was credited stays its own.
    function setTreasury(address treasury_) external onlyRole(GOVERNANCE_ROLE) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    // ---------------------------------------------------------------- views

    function claimable(address account) external view returns (uint256) {
        return _asContributor[account] + _asModelOwner[account] + _asPlatform[account];
    }

    /// @notice What `account` can claim, by where it came from.
    function balancesOf(address account)
        external
        view
        returns (uint256 asContributor, uint256 asModelOwner, uint256 asPlatform)
    {
        return (_asContributor[account], _asModelOwner[account], _asPlatform[account]);
    }

    function split()
        external
        view
        returns (uint16 platform, uint16 modelOwner, uint16 stakers, uint16 contributors_)
    {
        return (platformBps, modelOwnerBps, stakersBps, contributorsBps);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Credits each contributor `part × weight / WEIGHT_SCALE`, rounded down; returns the total.
    function _creditContributors(
        uint256 receiptId,
        uint256 part,
        address[] calldata contributors,
        uint256[] calldata weights
    ) private returns (uint256 total) {
        for (uint256 i = 0; i < contributors.length; ++i) {
            uint256 amount = (part * weights[i]) / WEIGHT_SCALE;
            _asContributor[contributors[i]] += amount;
            total += amount;
            emit ContributorCredited(receiptId, contributors[i], amount);
        }
    }

    function _checkAttribution(address[] calldata contributors, uint256[] calldata weights) private pure {
        if (contributors.length != weights.length) revert LengthMismatch(contributors.length, weights.length);
        if (contributors.length > MAX_CONTRIBUTORS) revert TooManyContributors(contributors.length, MAX_CONTRIBUTORS);
        uint256 sum;
        for (uint256 i = 0; i < weights.length; ++i) {
            if (contributors[i] == address(0)) revert ZeroContributor(i);
            uint256 w = weights[i];
            if (w == 0 || w > WEIGHT_SCALE) revert BadWeight(i, w);
            sum += w;
        }
        if (sum != WEIGHT_SCALE) revert WeightsNotWhole(sum, WEIGHT_SCALE);
    }
}
